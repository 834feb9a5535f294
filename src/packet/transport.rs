//! The first eight bytes of UDP and TCP headers: all an ICMPv4 error is guaranteed to
//! quote (RFC 792), and all traceroute needs to match a probe (ports, TCP sequence).

use super::{be16, be32, need, Result};

/// A UDP header (8 bytes).
#[derive(Debug, Clone, Copy)]
pub struct Udp<'a> {
    buf: &'a [u8],
}

impl<'a> Udp<'a> {
    pub const LEN: usize = 8;

    pub fn parse(buf: &'a [u8]) -> Result<Udp<'a>> {
        need("UDP header", buf, Self::LEN)?;
        Ok(Udp { buf })
    }
    pub fn src_port(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn length(&self) -> u16 {
        be16(self.buf, 4)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 6)
    }
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[Self::LEN..]
    }
}

/// The start of a TCP header: ports and sequence number always; the rest only when the
/// quote is long enough.
#[derive(Debug, Clone, Copy)]
pub struct TcpPrefix<'a> {
    buf: &'a [u8],
}

impl<'a> TcpPrefix<'a> {
    pub const MIN_LEN: usize = 8;

    pub fn parse(buf: &'a [u8]) -> Result<TcpPrefix<'a>> {
        need("TCP header prefix", buf, Self::MIN_LEN)?;
        Ok(TcpPrefix { buf })
    }
    pub fn src_port(&self) -> u16 {
        be16(self.buf, 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.buf, 2)
    }
    pub fn sequence(&self) -> u32 {
        be32(self.buf, 4)
    }
    /// The flags byte, when the quote reaches it.
    pub fn flags(&self) -> Option<u8> {
        self.buf.get(13).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ports() {
        let b = [
            0x82, 0x9a, 0x82, 0x9b, 0, 8, 0xab, 0xcd, 0, 0, 0, 0, 0x50, 0x02,
        ];
        let udp = Udp::parse(&b[..8]).unwrap();
        assert_eq!(
            (udp.src_port(), udp.dst_port(), udp.length()),
            (33434, 33435, 8)
        );
        let tcp = TcpPrefix::parse(&b).unwrap();
        assert_eq!(tcp.sequence(), 0x0008_abcd);
        assert_eq!(tcp.flags(), Some(0x02));
        assert_eq!(TcpPrefix::parse(&b[..8]).unwrap().flags(), None);
        assert!(Udp::parse(&b[..7]).is_err());
    }
}
