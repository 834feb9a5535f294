//! The IPv4 header (RFC 791): what a raw ICMP socket delivers first, and what an ICMP
//! error quotes.

use std::net::Ipv4Addr;

use super::{be16, need, Error, Result};

pub const MIN_HEADER_LEN: usize = 20;
pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// A checked view of an IPv4 header and what follows it.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4<'a> {
    buf: &'a [u8],
    header_len: usize,
    /// End of the datagram in `buf`: the total-length field, clamped to what we have
    /// (a quoted datagram is usually cut short).
    end: usize,
}

impl<'a> Ipv4<'a> {
    /// Parses the header; the payload may be shorter than the total-length field says
    /// (ICMP errors quote only the start of a datagram), never longer.
    pub fn parse(buf: &'a [u8]) -> Result<Ipv4<'a>> {
        need("IPv4 header", buf, MIN_HEADER_LEN)?;
        if buf[0] >> 4 != 4 {
            return Err(Error::Invalid {
                what: "IPv4 header",
                field: "version",
            });
        }
        let header_len = usize::from(buf[0] & 0x0f) * 4;
        if header_len < MIN_HEADER_LEN {
            return Err(Error::Invalid {
                what: "IPv4 header",
                field: "header length",
            });
        }
        need("IPv4 header with options", buf, header_len)?;
        let total = usize::from(be16(buf, 2));
        if total < header_len {
            return Err(Error::Invalid {
                what: "IPv4 header",
                field: "total length",
            });
        }
        Ok(Ipv4 {
            buf,
            header_len,
            end: total.min(buf.len()),
        })
    }

    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// The total-length field (may exceed the bytes we have, for a quoted datagram).
    pub fn total_len(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn identification(&self) -> u16 {
        be16(self.buf, 4)
    }
    pub fn ttl(&self) -> u8 {
        self.buf[8]
    }
    pub fn protocol(&self) -> u8 {
        self.buf[9]
    }
    pub fn header_checksum(&self) -> u16 {
        be16(self.buf, 10)
    }
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.buf[12], self.buf[13], self.buf[14], self.buf[15])
    }
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.buf[16], self.buf[17], self.buf[18], self.buf[19])
    }
    /// Header bytes including options.
    pub fn header(&self) -> &'a [u8] {
        &self.buf[..self.header_len]
    }
    /// What follows the header, up to the total length or the end of the bytes we have.
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len..self.end]
    }
    /// True when the payload is shorter than the total-length field promises.
    pub fn is_truncated(&self) -> bool {
        usize::from(self.total_len()) > self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 28, 0x12, 0x34, 0x40, 0, 63, PROTO_ICMP, 0, 0, 198, 18, 0, 1, 198, 18, 2, 2,
        ];
        p.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 1, 0, 1]);
        p
    }

    #[test]
    fn reads_fields() {
        let p = sample();
        let ip = Ipv4::parse(&p).unwrap();
        assert_eq!(ip.ttl(), 63);
        assert_eq!(ip.protocol(), PROTO_ICMP);
        assert_eq!(ip.src(), Ipv4Addr::new(198, 18, 0, 1));
        assert_eq!(ip.dst(), Ipv4Addr::new(198, 18, 2, 2));
        assert_eq!(ip.payload().len(), 8);
        assert!(!ip.is_truncated());
    }

    #[test]
    fn rejects_bad_headers() {
        let mut p = sample();
        p[0] = 0x65;
        assert!(Ipv4::parse(&p).is_err());
        p[0] = 0x44;
        assert!(Ipv4::parse(&p).is_err());
        p[0] = 0x4f;
        assert!(Ipv4::parse(&p).is_err());
        let mut p = sample();
        p[3] = 10;
        assert!(Ipv4::parse(&p).is_err());
        assert!(Ipv4::parse(&p[..19]).is_err());
    }

    #[test]
    fn quoted_datagrams_may_be_cut_short() {
        let mut p = sample();
        p[2] = 0x05; // claims 1308 bytes
        let ip = Ipv4::parse(&p).unwrap();
        assert!(ip.is_truncated());
        assert_eq!(ip.payload().len(), 8);
    }
}
