//! Per-address request budgets for the portal (the listener anyone on the Internet reaches).
//!
//! A fixed window of one minute on the vault's clock: each client address may make
//! `portal.max_requests_per_minute` requests in a minute; more are answered 429 until the next
//! minute. IPv6 clients are counted per /64 (one subscriber's prefix), IPv4 per address. The
//! table is emptied at each new minute and holds at most [`MAX_ADDRESSES`] entries: past that,
//! new addresses are refused for the rest of the minute (the portal fails closed under a
//! distributed flood rather than grow without bound). Nothing here is logged with the address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Distinct client addresses counted in one minute, at most.
pub const MAX_ADDRESSES: usize = 100_000;

/// The peer address of a connection, put on every request by the server loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// What the limiter says of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the budget.
    Allowed,
    /// Over the budget: seconds until the next minute.
    Refused {
        /// Seconds until the budget is renewed.
        retry_after: u32,
    },
}

/// Counts requests per client address in the current minute.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    state: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    minute: i64,
    counts: HashMap<IpAddr, u32>,
}

/// The address a budget is kept for: IPv4 as is, IPv6 by its /64 prefix (an IPv4-mapped IPv6
/// address as its IPv4 address).
pub fn budget_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per address and minute (0: no limit).
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            state: Mutex::new(Window::default()),
        }
    }

    /// Counts one request from `ip` at `now` and says whether it may be served.
    pub fn check(&self, ip: IpAddr, now: DateTime<Utc>) -> Verdict {
        if self.per_minute == 0 {
            return Verdict::Allowed;
        }
        let minute = now.timestamp().div_euclid(60);
        let retry_after = u32::try_from(60 - now.timestamp().rem_euclid(60)).unwrap_or(60);
        // A poisoned lock only means another request panicked while counting; the counts
        // are still usable.
        let mut w = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if w.minute != minute {
            w.minute = minute;
            w.counts.clear();
        }
        let key = budget_key(ip);
        let full = w.counts.len() >= MAX_ADDRESSES;
        let count = match w.counts.get_mut(&key) {
            Some(c) => c,
            None if full => return Verdict::Refused { retry_after },
            None => w.counts.entry(key).or_insert(0),
        };
        *count = count.saturating_add(1);
        if *count > self.per_minute {
            Verdict::Refused { retry_after }
        } else {
            Verdict::Allowed
        }
    }

    /// Addresses counted in the current window (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .counts
            .len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, s).unwrap()
    }

    #[test]
    fn each_address_has_its_budget_per_minute() {
        let l = RateLimiter::new(3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(l.check(a, at(10, 0, 10)), Verdict::Allowed);
        }
        assert_eq!(
            l.check(a, at(10, 0, 15)),
            Verdict::Refused { retry_after: 45 }
        );
        assert_eq!(
            l.check(b, at(10, 0, 20)),
            Verdict::Allowed,
            "another address"
        );
        assert_eq!(l.check(a, at(10, 1, 0)), Verdict::Allowed, "a new minute");
        assert_eq!(l.tracked(), 1, "the old minute's counts are gone");
    }

    #[test]
    fn an_ipv6_subscriber_is_one_budget_and_mapped_ipv4_is_ipv4() {
        let l = RateLimiter::new(2);
        let x: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let now = at(9, 0, 0);
        assert_eq!(l.check(x, now), Verdict::Allowed);
        assert_eq!(l.check(y, now), Verdict::Allowed);
        assert!(matches!(l.check(x, now), Verdict::Refused { .. }));
        assert_eq!(l.check(other, now), Verdict::Allowed);
        let v4: IpAddr = "198.51.100.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:198.51.100.7".parse().unwrap();
        assert_eq!(budget_key(mapped), v4);
    }

    #[test]
    fn a_flood_of_addresses_is_bounded_and_refused() {
        let l = RateLimiter::new(5);
        let now = at(9, 0, 30);
        for i in 0..MAX_ADDRESSES as u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(l.check(ip, now), Verdict::Allowed);
        }
        let newcomer: IpAddr = "203.0.113.1".parse().unwrap();
        assert!(matches!(l.check(newcomer, now), Verdict::Refused { .. }));
        assert_eq!(l.tracked(), MAX_ADDRESSES);
        let known = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000));
        assert_eq!(
            l.check(known, now),
            Verdict::Allowed,
            "known addresses go on"
        );
    }

    #[test]
    fn zero_means_no_limit() {
        let l = RateLimiter::new(0);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..1000 {
            assert_eq!(l.check(a, at(10, 0, 0)), Verdict::Allowed);
        }
        assert_eq!(l.tracked(), 0);
    }
}
