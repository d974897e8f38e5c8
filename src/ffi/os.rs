//! The operating-system calls behind the device context (libc). Kept in the ffi layer
//! so that every `unsafe` block of the crate lives under `src/ffi/`.

use std::net::Ipv4Addr;

/// The device's primary IPv4 address: the first interface that is up, running and not
/// loopback, in the order the kernel lists them. `None` when there is none.
pub fn primary_ipv4() -> Option<Ipv4Addr> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we own until freeifaddrs; on failure it
    // returns -1 and we read nothing.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return None;
    }
    let mut found = None;
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: cursor is a node of the list returned above, not yet freed.
        let entry = unsafe { &*cursor };
        cursor = entry.ifa_next;
        let flags = entry.ifa_flags as libc::c_int;
        let usable = flags & libc::IFF_UP != 0
            && flags & libc::IFF_RUNNING != 0
            && flags & libc::IFF_LOOPBACK == 0;
        if !usable || entry.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points to a sockaddr whose family we check
        // before reading it as the larger sockaddr_in.
        let family = i32::from(unsafe { (*entry.ifa_addr).sa_family });
        if family != libc::AF_INET {
            continue;
        }
        let address = unsafe { &*(entry.ifa_addr as *const libc::sockaddr_in) };
        found = Some(Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr)));
        break;
    }
    // SAFETY: list came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    found
}

/// The local time zone's offset from UTC at `epoch_seconds`, in seconds east of UTC
/// (DST included). `None` if the C library cannot convert the time.
pub fn utc_offset_seconds(epoch_seconds: i64) -> Option<i64> {
    let time = epoch_seconds as libc::time_t;
    // SAFETY: tm is plain data that localtime_r fills; both pointers are valid for the
    // call and localtime_r (unlike localtime) uses no shared buffer.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let result = unsafe { libc::localtime_r(&time, &mut tm) };
    if result.is_null() {
        None
    } else {
        Some(tm.tm_gmtoff as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_ipv4_is_never_loopback() {
        if let Some(ip) = primary_ipv4() {
            assert!(!ip.is_loopback());
        }
    }

    #[test]
    fn utc_offset_is_within_a_day() {
        let offset = utc_offset_seconds(1_700_000_000).unwrap();
        assert!(offset.abs() <= 14 * 3600);
    }
}
