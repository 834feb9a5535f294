//! The first eight bytes of UDP and TCP headers: all an ICMPv4 error is guaranteed to
//! quote (RFC 792), and all traceroute needs to match a probe (ports, TCP sequence); the
//! acknowledgment number when a whole TCP header is read (a SYN-ACK or RST answering a
//! probe); and [`write_tcp_syn`], the SYN of the privileged TCP trace.

use std::net::IpAddr;

use super::{be16, be32, checksum, need, Error, Result};

/// TCP flag bits (byte 13 of the header).
pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_ACK: u8 = 0x10;
/// A TCP header without options.
pub const TCP_HEADER_LEN: usize = 20;
/// The window a SYN advertises (what Linux offers on Ethernet).
const SYN_WINDOW: u16 = 64_240;
const PROTO_TCP: u8 = 6;

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
    /// The acknowledgment number, when the bytes reach it (meaningful with `TCP_ACK`).
    pub fn acknowledgment(&self) -> Option<u32> {
        (self.buf.len() >= 12).then(|| be32(self.buf, 8))
    }
}

/// Writes a 20-byte TCP SYN (no options, no payload) from `src:sport` to `dst:dport`
/// with sequence number `seq` into `buf`, checksum included (over the RFC 793 / RFC 8200
/// pseudo-header: a raw TCP socket sends the segment as it is, on IPv6 too). Returns its
/// length. The addresses must be of one family.
pub fn write_tcp_syn(
    buf: &mut [u8],
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    seq: u32,
) -> Result<usize> {
    need("TCP SYN buffer", buf, TCP_HEADER_LEN)?;
    let len = TCP_HEADER_LEN as u16;
    let mut pseudo = [0u8; 40];
    let pseudo: &[u8] = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo[0..4].copy_from_slice(&s.octets());
            pseudo[4..8].copy_from_slice(&d.octets());
            pseudo[9] = PROTO_TCP;
            pseudo[10..12].copy_from_slice(&len.to_be_bytes());
            &pseudo[..12]
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            pseudo[0..16].copy_from_slice(&s.octets());
            pseudo[16..32].copy_from_slice(&d.octets());
            pseudo[32..36].copy_from_slice(&u32::from(len).to_be_bytes());
            pseudo[39] = PROTO_TCP;
            &pseudo[..]
        }
        _ => {
            return Err(Error::Invalid {
                what: "TCP SYN",
                field: "address family",
            })
        }
    };
    let out = &mut buf[..TCP_HEADER_LEN];
    out.fill(0);
    out[0..2].copy_from_slice(&sport.to_be_bytes());
    out[2..4].copy_from_slice(&dport.to_be_bytes());
    out[4..8].copy_from_slice(&seq.to_be_bytes());
    out[12] = (TCP_HEADER_LEN as u8 / 4) << 4;
    out[13] = TCP_SYN;
    out[14..16].copy_from_slice(&SYN_WINDOW.to_be_bytes());
    let sum = checksum(&[pseudo, out]);
    out[16..18].copy_from_slice(&sum.to_be_bytes());
    Ok(TCP_HEADER_LEN)
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
        assert_eq!(TcpPrefix::parse(&b[..8]).unwrap().acknowledgment(), None);
        assert_eq!(TcpPrefix::parse(&b).unwrap().acknowledgment(), Some(0));
    }

    /// Known-good segments, built independently with Python's `struct` and a textbook
    /// RFC 1071 sum:
    /// `struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 0x50, 0x02, 64240, csum, 0)`.
    #[test]
    fn tcp_syns_match_independently_built_segments() {
        let cases: [(&str, &str, u16, u16, u32, &str); 2] = [
            (
                "198.18.0.1",
                "198.18.5.2",
                40000,
                80,
                0x1234_5678,
                "9c40005012345678000000005002faf01e8d0000",
            ),
            (
                "fd4e:6c61:62::1",
                "fd4e:6c61:62:5::2",
                40000,
                443,
                0xdead_beef,
                "9c4001bbdeadbeef000000005002faf0a52c0000",
            ),
        ];
        for (src, dst, sport, dport, seq, want) in cases {
            let (src, dst): (IpAddr, IpAddr) = (src.parse().unwrap(), dst.parse().unwrap());
            let mut buf = [0xffu8; 32];
            let n = write_tcp_syn(&mut buf, src, dst, sport, dport, seq).unwrap();
            let hex: String = buf[..n].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, want, "{src} -> {dst}");
            let tcp = TcpPrefix::parse(&buf[..n]).unwrap();
            assert_eq!(
                (tcp.src_port(), tcp.dst_port(), tcp.sequence(), tcp.flags()),
                (sport, dport, seq, Some(TCP_SYN))
            );
            assert_eq!(tcp.acknowledgment(), Some(0));
        }
        let v4: IpAddr = "198.18.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        let mut buf = [0u8; 32];
        assert!(write_tcp_syn(&mut buf, v4, v6, 1, 2, 3).is_err());
        assert!(write_tcp_syn(&mut buf[..19], v4, v4, 1, 2, 3).is_err());
    }
}
