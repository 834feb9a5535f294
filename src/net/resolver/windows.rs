//! The adapters' DNS settings on Windows, read with `GetAdaptersAddresses` (IP Helper),
//! where Windows' own resolver keeps them: each adapter has its servers, its
//! connection-specific suffix and its suffix list. There is no file to read.
//!
//! The call fills a caller's buffer with a linked list whose pointers point into that
//! buffer; too small a buffer returns the size needed, and the list may grow before the
//! next call, so the size is asked a few times, with a cap on the bytes and the tries.
//! Every list is walked with a cap too, and copied out before the buffer goes.

use std::io;
use std::net::SocketAddr;
use std::ptr;

use socket2::{socklen_t, SockAddr};
use windows_sys::Win32::Foundation::{ERROR_BUFFER_OVERFLOW, ERROR_NO_DATA, ERROR_SUCCESS};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetAdaptersAddresses, GAA_FLAG_SKIP_ANYCAST, GAA_FLAG_SKIP_FRIENDLY_NAME,
    GAA_FLAG_SKIP_MULTICAST, GAA_FLAG_SKIP_UNICAST, IP_ADAPTER_ADDRESSES_LH,
};
use windows_sys::Win32::NetworkManagement::Ndis::IfOperStatusUp;
use windows_sys::Win32::Networking::WinSock::{AF_UNSPEC, SOCKET_ADDRESS};

use super::Adapter;

/// The first buffer: Microsoft's advice (15 KB) answers most machines at once.
const FIRST_SIZE: u32 = 15 * 1024;
/// The largest buffer netlab gives it (a machine with hundreds of adapters fits).
const MAX_SIZE: u32 = 4 << 20;
/// Calls before giving up on a list that keeps growing between two calls.
const TRIES: usize = 4;
/// The most entries taken from any one list (adapters, servers, suffixes).
const MAX_ENTRIES: usize = 1024;
/// The longest suffix read, in UTF-16 units (a DNS name has at most 253 characters).
const MAX_NAME: usize = 256;

/// Every adapter's DNS servers and suffixes, in the order Windows lists the adapters.
pub fn adapters() -> io::Result<Vec<Adapter>> {
    let flags = GAA_FLAG_SKIP_UNICAST
        | GAA_FLAG_SKIP_ANYCAST
        | GAA_FLAG_SKIP_MULTICAST
        | GAA_FLAG_SKIP_FRIENDLY_NAME;
    let mut size = FIRST_SIZE;
    for _ in 0..TRIES {
        // In u64s: the list's structures need 8-byte alignment.
        let mut buffer = vec![0u64; (size as usize).div_ceil(8)];
        size = (buffer.len() * 8) as u32;
        let first = buffer.as_mut_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
        // SAFETY: `first` points to `size` writable bytes, aligned for the structure, and
        // `size` is a valid in-out pointer; the reserved argument must be null.
        let rc = unsafe {
            GetAdaptersAddresses(u32::from(AF_UNSPEC), flags, ptr::null(), first, &mut size)
        };
        match rc {
            // SAFETY: on success the buffer holds the list, which `walk` copies out
            // before `buffer` is dropped.
            ERROR_SUCCESS => return Ok(unsafe { walk(first) }),
            ERROR_NO_DATA => return Ok(Vec::new()),
            ERROR_BUFFER_OVERFLOW if size <= MAX_SIZE => continue,
            ERROR_BUFFER_OVERFLOW => {
                return Err(io::Error::other(format!(
                    "GetAdaptersAddresses needs {size} bytes, more than netlab's {MAX_SIZE}"
                )))
            }
            code => return Err(io::Error::from_raw_os_error(code as i32)),
        }
    }
    Err(io::Error::other(
        "GetAdaptersAddresses: the adapter list kept growing between calls",
    ))
}

/// Copies out the adapters of a list `GetAdaptersAddresses` filled.
///
/// # Safety
/// `next` is null or the head of a list that call returned, whose buffer is still alive.
unsafe fn walk(mut next: *const IP_ADAPTER_ADDRESSES_LH) -> Vec<Adapter> {
    let mut adapters = Vec::new();
    for _ in 0..MAX_ENTRIES {
        // SAFETY: null or a valid entry of the list (the caller's promise).
        let Some(adapter) = (unsafe { next.as_ref() }) else {
            break;
        };
        let mut servers = Vec::new();
        let mut server = adapter.FirstDnsServerAddress.cast_const();
        for _ in 0..MAX_ENTRIES {
            // SAFETY: null or a valid entry of the adapter's server list.
            let Some(entry) = (unsafe { server.as_ref() }) else {
                break;
            };
            // SAFETY: the entry's address points into the same live buffer.
            servers.extend(unsafe { socket_addr(&entry.Address) });
            server = entry.Next;
        }
        // SAFETY: `DnsSuffix` is null or a NUL-terminated string in the buffer.
        let mut suffixes = vec![unsafe { wide_string(adapter.DnsSuffix) }];
        let mut suffix = adapter.FirstDnsSuffix.cast_const();
        for _ in 0..MAX_ENTRIES {
            // SAFETY: null or a valid entry of the adapter's suffix list.
            let Some(entry) = (unsafe { suffix.as_ref() }) else {
                break;
            };
            suffixes.push(fixed_wide_string(&entry.String));
            suffix = entry.Next;
        }
        adapters.push(Adapter {
            up: adapter.OperStatus == IfOperStatusUp,
            servers,
            suffixes,
        });
        next = adapter.Next;
    }
    adapters
}

/// A `SOCKET_ADDRESS` as a socket address (IPv4, or IPv6 with its scope id).
///
/// # Safety
/// `address.lpSockaddr` is null or points to `iSockaddrLength` readable bytes.
unsafe fn socket_addr(address: &SOCKET_ADDRESS) -> Option<SocketAddr> {
    let len = usize::try_from(address.iSockaddrLength).ok()?;
    if address.lpSockaddr.is_null() || len == 0 {
        return None;
    }
    // SAFETY: copies at most the storage's size from the readable source; the storage
    // is zeroed first by `try_init`.
    let (_, addr) = unsafe {
        SockAddr::try_init(|storage, storage_len| {
            let len = len.min(*storage_len as usize);
            ptr::copy_nonoverlapping(address.lpSockaddr.cast::<u8>(), storage.cast::<u8>(), len);
            *storage_len = len as socklen_t;
            Ok(())
        })
    }
    .ok()?;
    addr.as_socket()
}

/// A NUL-terminated UTF-16 string (at most [`MAX_NAME`] units), or "" for null.
///
/// # Safety
/// `text` is null or points to a NUL-terminated UTF-16 string.
unsafe fn wide_string(text: *const u16) -> String {
    if text.is_null() {
        return String::new();
    }
    let mut units = Vec::new();
    for at in 0..MAX_NAME {
        // SAFETY: within the string: no NUL was met before `at`.
        let unit = unsafe { *text.add(at) };
        if unit == 0 {
            break;
        }
        units.push(unit);
    }
    String::from_utf16_lossy(&units)
}

/// A UTF-16 string in a fixed array, up to its first NUL.
fn fixed_wide_string(units: &[u16]) -> String {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_strings_end_at_their_nul_or_their_bound() {
        let text: Vec<u16> = "lab.test\0ignored".encode_utf16().collect();
        assert_eq!(fixed_wide_string(&text), "lab.test");
        assert_eq!(fixed_wide_string(&text[..3]), "lab");
        // SAFETY: a NUL-terminated string, and null.
        assert_eq!(unsafe { wide_string(text.as_ptr()) }, "lab.test");
        assert_eq!(unsafe { wide_string(ptr::null()) }, "");
        let long = vec![u16::from(b'a'); MAX_NAME + 10];
        // SAFETY: MAX_NAME units are readable; the reader stops there.
        assert_eq!(unsafe { wide_string(long.as_ptr()) }.len(), MAX_NAME);
    }

    #[test]
    fn the_adapters_are_read_and_every_server_is_an_address() {
        // Whatever this machine (or Wine) has: the call succeeds, and what it lists is
        // well formed (Wine gives every adapter the servers of its resolv.conf).
        let adapters = adapters().expect("GetAdaptersAddresses");
        assert!(
            !adapters.is_empty(),
            "no adapter at all (not even loopback)"
        );
        for adapter in &adapters {
            for server in &adapter.servers {
                assert!(!server.ip().is_unspecified(), "{adapters:?}");
            }
        }
    }
}
