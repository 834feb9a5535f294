//! What a SYN scan reads: a TCP segment from the raw TCP socket (a SYN-ACK or RST that
//! may answer one of our SYNs) and an ICMP error from the raw ICMP socket (which may
//! quote one). Both read hostile bytes — a raw socket sees every segment and every ICMP
//! message reaching the host — so both go through the checked views of this module's
//! siblings and only return the fields the scan matches on; whether those fields name a
//! probe of ours (the cookie) is the scan engine's question, not this one's.

use std::net::IpAddr;

use super::icmp::{Icmp, Message, Version};
use super::ipv4::{Ipv4, PROTO_TCP};
use super::transport::TcpPrefix;
use super::{Error, Result};

/// The fields of a TCP segment that may answer a SYN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpAnswer {
    /// The sender, when the bytes carried an IPv4 header (raw IPv4 sockets do).
    pub src: Option<IpAddr>,
    pub sport: u16,
    pub dport: u16,
    pub ack: u32,
    pub flags: u8,
}

/// Reads a segment as a raw TCP socket hands it over: with its IPv4 header for IPv4,
/// bare for IPv6. Needs the ports, the acknowledgment number and the flags (14 bytes).
pub fn tcp_answer(bytes: &[u8], version: Version) -> Result<TcpAnswer> {
    let (src, segment) = match version {
        Version::V4 => {
            let ip = Ipv4::parse(bytes)?;
            if ip.protocol() != PROTO_TCP {
                return Err(Error::Invalid {
                    what: "TCP answer",
                    field: "protocol",
                });
            }
            (Some(IpAddr::V4(ip.src())), ip.payload())
        }
        Version::V6 => (None, bytes),
    };
    let tcp = TcpPrefix::parse(segment)?;
    let missing = Error::Invalid {
        what: "TCP answer",
        field: "length",
    };
    Ok(TcpAnswer {
        src,
        sport: tcp.src_port(),
        dport: tcp.dst_port(),
        ack: tcp.acknowledgment().ok_or(missing)?,
        flags: tcp.flags().ok_or(missing)?,
    })
}

/// An ICMP error quoting a TCP segment we sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedSyn {
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// The quoted segment's destination and ports, and its sequence number.
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
}

/// Reads an ICMP message as a raw ICMP socket hands it over (IPv4: with its IP header;
/// IPv6: bare): an error that quotes a TCP segment, or `Err`.
pub fn quoted_syn(bytes: &[u8], version: Version) -> Result<QuotedSyn> {
    let icmp = match version {
        Version::V4 => Icmp::parse_v4(Ipv4::parse(bytes)?.payload())?,
        Version::V6 => Icmp::parse_v6(bytes)?,
    };
    let Message::Error(error) = icmp.message() else {
        return Err(Error::Invalid {
            what: "ICMP",
            field: "type",
        });
    };
    let ip = error.quoted.ip()?;
    let tcp = error.quoted.tcp()?;
    Ok(QuotedSyn {
        icmp_type: icmp.icmp_type(),
        icmp_code: icmp.code(),
        dst: ip.dst,
        sport: tcp.src_port(),
        dport: tcp.dst_port(),
        seq: tcp.sequence(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::transport::{write_tcp_syn, TCP_ACK, TCP_SYN};

    fn v4_header(protocol: u8, src: [u8; 4], dst: [u8; 4], payload: usize) -> Vec<u8> {
        let total = (20 + payload) as u16;
        let mut h = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, protocol, 0, 0];
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h
    }

    #[test]
    fn a_syn_ack_with_its_ipv4_header() {
        let mut seg = [0u8; 20];
        write_tcp_syn(
            &mut seg,
            "198.18.2.2".parse().unwrap(),
            "198.18.0.1".parse().unwrap(),
            80,
            40000,
            7,
        )
        .unwrap();
        seg[8..12].copy_from_slice(&0x1234_5679u32.to_be_bytes());
        seg[13] = TCP_SYN | TCP_ACK;
        let mut packet = v4_header(6, [198, 18, 2, 2], [198, 18, 0, 1], 20);
        packet.extend_from_slice(&seg);
        let answer = tcp_answer(&packet, Version::V4).unwrap();
        assert_eq!(
            answer,
            TcpAnswer {
                src: Some("198.18.2.2".parse().unwrap()),
                sport: 80,
                dport: 40000,
                ack: 0x1234_5679,
                flags: TCP_SYN | TCP_ACK
            }
        );
        // IPv6: the bare segment.
        let answer = tcp_answer(&seg, Version::V6).unwrap();
        assert_eq!(
            (answer.src, answer.sport, answer.flags),
            (None, 80, TCP_SYN | TCP_ACK)
        );
        // Too short for the flags, or not TCP.
        assert!(tcp_answer(&seg[..13], Version::V6).is_err());
        let mut udp = v4_header(17, [1, 1, 1, 1], [2, 2, 2, 2], 20);
        udp.extend_from_slice(&seg);
        assert!(tcp_answer(&udp, Version::V4).is_err());
    }

    #[test]
    fn an_icmp_error_quoting_a_syn() {
        let (src, dst) = ([198, 18, 0, 1], [198, 18, 2, 2]);
        let mut syn = [0u8; 20];
        write_tcp_syn(&mut syn, src.into(), dst.into(), 40000, 25, 0xdead_beef).unwrap();
        let mut quote = v4_header(6, src, dst, 20);
        quote.extend_from_slice(&syn[..8]);
        // Destination unreachable, administratively prohibited (3/13).
        let mut icmp = vec![3, 13, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quote);
        let sum = crate::packet::checksum(&[&icmp]);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let mut packet = v4_header(1, [198, 18, 1, 1], src, icmp.len());
        packet.extend_from_slice(&icmp);
        let q = quoted_syn(&packet, Version::V4).unwrap();
        assert_eq!(
            q,
            QuotedSyn {
                icmp_type: 3,
                icmp_code: 13,
                dst: IpAddr::from(dst),
                sport: 40000,
                dport: 25,
                seq: 0xdead_beef
            }
        );
        // An echo reply is no error; a truncated quote is refused.
        let echo = v4_header(1, [1, 1, 1, 1], src, 8);
        let mut echo = echo;
        echo.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 1, 0, 1]);
        assert!(quoted_syn(&echo, Version::V4).is_err());
        for cut in 0..packet.len() - 1 {
            let _ = quoted_syn(&packet[..cut], Version::V4);
            let _ = quoted_syn(&packet[..cut], Version::V6);
            let _ = tcp_answer(&packet[..cut], Version::V4);
        }
    }
}
