//! The fixed IPv6 header (RFC 8200), as quoted by ICMPv6 errors. Raw and datagram ICMPv6
//! sockets never deliver the header of a received packet; the hop limit comes from a
//! control message instead.

use std::net::Ipv6Addr;

use super::{be16, need, Error, Result};

pub const HEADER_LEN: usize = 40;
pub const NEXT_ICMPV6: u8 = 58;
pub const NEXT_TCP: u8 = 6;
pub const NEXT_UDP: u8 = 17;

#[derive(Debug, Clone, Copy)]
pub struct Ipv6<'a> {
    buf: &'a [u8],
    end: usize,
}

impl<'a> Ipv6<'a> {
    pub fn parse(buf: &'a [u8]) -> Result<Ipv6<'a>> {
        need("IPv6 header", buf, HEADER_LEN)?;
        if buf[0] >> 4 != 6 {
            return Err(Error::Invalid {
                what: "IPv6 header",
                field: "version",
            });
        }
        let end = (HEADER_LEN + usize::from(be16(buf, 4))).min(buf.len());
        Ok(Ipv6 { buf, end })
    }

    pub fn payload_len(&self) -> u16 {
        be16(self.buf, 4)
    }
    /// The next-header field. Extension headers are not walked: the packets netlab quotes
    /// back to itself never carry them.
    pub fn next_header(&self) -> u8 {
        self.buf[6]
    }
    pub fn hop_limit(&self) -> u8 {
        self.buf[7]
    }
    pub fn src(&self) -> Ipv6Addr {
        Ipv6Addr::from(addr(&self.buf[8..24]))
    }
    pub fn dst(&self) -> Ipv6Addr {
        Ipv6Addr::from(addr(&self.buf[24..40]))
    }
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[HEADER_LEN..self.end]
    }
}

fn addr(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_clamps_payload() {
        let mut p = vec![0u8; 48];
        p[0] = 0x60;
        p[5] = 200; // claims more than we have
        p[6] = NEXT_ICMPV6;
        p[7] = 64;
        p[23] = 1;
        p[39] = 2;
        let ip = Ipv6::parse(&p).unwrap();
        assert_eq!(ip.next_header(), NEXT_ICMPV6);
        assert_eq!(ip.hop_limit(), 64);
        assert_eq!(ip.src(), "::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(ip.dst(), "::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(ip.payload().len(), 8);
        p[0] = 0x40;
        assert!(Ipv6::parse(&p).is_err());
        assert!(Ipv6::parse(&p[..39]).is_err());
    }
}
