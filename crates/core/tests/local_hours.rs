//! CPC 664 in each place's local time: 6:00 and 21:00 at both edges, the next opening with its
//! local offset, the local holidays, and the DST changes of Paris and Saint-Pierre-et-Miquelon.
//! The UTC offsets are written by hand here (not read from chrono-tz).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Offset, TimeZone, Utc, Weekday};
use sceau_core::calendar::Calendar;
use sceau_core::hours::{
    next_opening, next_opening_in, service_allowed, service_allowed_in, ClosedReason,
    ReceptionRule, Window,
};
use sceau_core::reception::Refusal;
use sceau_core::region::Region;

fn region(code: &str) -> Region {
    Region::from_code(code).unwrap()
}

/// The instant of local `y-m-d h:mi:s` at a UTC offset of `offset_h` hours.
fn at(offset_h: i32, y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(offset_h * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, mi, s)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn reason(t: DateTime<Utc>, code: &str) -> Option<ClosedReason> {
    service_allowed_in(t, None, None, &region(code))
        .err()
        .map(|c| c.reason)
}

/// Places without DST and their offset (hand-written): Tuesday 12 January and 6 July 2027 are
/// ordinary working days everywhere.
const FIXED: [(&str, i32); 7] = [
    ("971", -4),
    ("972", -4),
    ("973", -3),
    ("974", 4),
    ("976", 3),
    ("977", -4),
    ("978", -4),
];

#[test]
fn six_and_nine_in_every_zone_without_dst() {
    for (code, off) in FIXED {
        for (m, d) in [(1, 12), (7, 6)] {
            assert_eq!(
                reason(at(off, 2027, m, d, 5, 59, 59), code),
                Some(ClosedReason::BeforeSix),
                "{code}"
            );
            assert_eq!(reason(at(off, 2027, m, d, 6, 0, 0), code), None, "{code}");
            assert_eq!(
                reason(at(off, 2027, m, d, 20, 59, 59), code),
                None,
                "{code}"
            );
            assert_eq!(
                reason(at(off, 2027, m, d, 21, 0, 0), code),
                Some(ClosedReason::AfterNine),
                "{code}"
            );
            // The next opening after 21:00 is 06:00 the next day, at the same local offset.
            let c = service_allowed_in(at(off, 2027, m, d, 21, 0, 0), None, None, &region(code))
                .unwrap_err();
            assert_eq!(c.next_opening, at(off, 2027, m, d + 1, 6, 0, 0), "{code}");
            assert_eq!(c.reason.refusal(), Refusal::LegalHours);
            let local = region(code).local(c.next_opening);
            assert_eq!(local.offset().fix().to_string(), format!("{off:+03}:00"));
            assert!(
                c.message_fr.ends_with(&format!(
                    "Prochaine ouverture : le {:02}/{m:02}/2027 à 06:00.",
                    d + 1
                )),
                "{code}: {}",
                c.message_fr
            );
        }
    }
}

#[test]
fn martinique_is_not_read_in_paris_time() {
    // The case: 16:00 in Martinique is 21:00 in Paris; 01:00 there is 06:00 in Paris.
    let mq = region("972");
    assert!(service_allowed_in(at(-4, 2027, 1, 12, 16, 0, 0), None, None, &mq).is_ok());
    assert!(service_allowed(
        at(-4, 2027, 1, 12, 16, 0, 0),
        None,
        None,
        &Calendar::NATIONAL
    )
    .is_err());
    assert_eq!(
        reason(at(-4, 2027, 1, 12, 1, 0, 0), "972"),
        Some(ClosedReason::BeforeSix)
    );
    // Served at 20:30 local: accepted; at 21:30: refused, next opening 06:00 local.
    assert!(service_allowed_in(at(-4, 2027, 1, 12, 20, 30, 0), None, None, &mq).is_ok());
    let c = service_allowed_in(at(-4, 2027, 1, 12, 21, 30, 0), None, None, &mq).unwrap_err();
    assert_eq!(c.reason, ClosedReason::AfterNine);
    assert_eq!(c.next_opening, at(-4, 2027, 1, 13, 6, 0, 0));
    assert!(c.message_fr.contains("après 21 heures"), "{}", c.message_fr);
}

#[test]
fn local_holidays_close_the_local_day() {
    // Monday 20 December 2027 in La Réunion (UTC+4).
    let c =
        service_allowed_in(at(4, 2027, 12, 20, 10, 0, 0), None, None, &region("974")).unwrap_err();
    assert_eq!(
        c.reason,
        ClosedReason::PublicHoliday("Abolition de l'esclavage".into())
    );
    assert_eq!(c.next_opening, at(4, 2027, 12, 21, 6, 0, 0));
    assert!(
        c.message_fr
            .ends_with("Prochaine ouverture : le 21/12/2027 à 06:00."),
        "{}",
        c.message_fr
    );
    // The same instant is an ordinary Monday in Paris.
    assert!(service_allowed_in(at(4, 2027, 12, 20, 10, 0, 0), None, None, &Region::PARIS).is_ok());
    // The local day, not Paris's: 23:30 on the 19th in Paris is already the 20th, 02:30 in
    // La Réunion (before six there, and a holiday).
    assert!(reason(at(1, 2027, 12, 19, 23, 30, 0), "974").is_some());
    // 26 December 2028 (Tuesday): Alsace-Moselle only.
    assert_eq!(
        reason(at(1, 2028, 12, 26, 10, 0, 0), "67"),
        Some(ClosedReason::PublicHoliday("Saint-Étienne".into()))
    );
    assert_eq!(reason(at(1, 2028, 12, 26, 10, 0, 0), "75"), None);
    // Saturday 22 May 2027 in Martinique, Friday 28 May 2027 in Saint-Martin.
    assert!(reason(at(-4, 2027, 5, 22, 10, 0, 0), "972").is_some());
    assert_eq!(reason(at(-4, 2027, 5, 22, 10, 0, 0), "971"), None);
    assert!(reason(at(-4, 2027, 5, 28, 10, 0, 0), "978").is_some());
    // Saint-Pierre-et-Miquelon has no local day.
    assert_eq!(reason(at(-3, 2027, 5, 27, 10, 0, 0), "975"), None);
}

#[test]
fn paris_by_region_is_the_old_rule() {
    let mut t = at(0, 2026, 1, 1, 0, 0, 0);
    while t < at(0, 2027, 1, 1, 0, 0, 0) {
        for (code, alsace) in [("75", false), ("67", true)] {
            let cal = Calendar {
                alsace_moselle: alsace,
            };
            assert_eq!(
                service_allowed_in(t, None, None, &region(code)),
                service_allowed(t, None, None, &cal),
                "{t}"
            );
        }
        t += Duration::minutes(173);
    }
}

#[test]
fn paris_dst() {
    let paris = Region::PARIS;
    // Winter (UTC+1) and summer (UTC+2) edges.
    assert_eq!(
        reason(at(1, 2027, 3, 26, 5, 59, 59), "75"),
        Some(ClosedReason::BeforeSix)
    );
    assert_eq!(reason(at(1, 2027, 3, 26, 6, 0, 0), "75"), None);
    assert_eq!(reason(at(2, 2027, 3, 30, 20, 59, 59), "75"), None);
    assert_eq!(
        reason(at(2, 2027, 3, 30, 21, 0, 0), "75"),
        Some(ClosedReason::AfterNine)
    );
    // Saturday 27 March 2027 at 21:00 CET → Sunday 28 (clocks 02:00 → 03:00) → Monday 29 March,
    // Easter Monday → Tuesday 30 March 06:00 CEST.
    let c = service_allowed_in(at(1, 2027, 3, 27, 21, 0, 0), None, None, &paris).unwrap_err();
    assert_eq!(c.next_opening, at(2, 2027, 3, 30, 6, 0, 0));
    assert_eq!(
        paris.local(c.next_opening).to_rfc3339(),
        "2027-03-30T06:00:00+02:00"
    );
    // Saturday 30 October 2027 at 21:00 CEST → Sunday 31 (03:00 → 02:00) → Monday 1 November,
    // Toussaint → Tuesday 2 November 06:00 CET.
    let c = service_allowed_in(at(2, 2027, 10, 30, 21, 0, 0), None, None, &paris).unwrap_err();
    assert_eq!(c.next_opening, at(1, 2027, 11, 2, 6, 0, 0));
}

#[test]
fn miquelon_dst() {
    // America/Miquelon: UTC−3, UTC−2 from the second Sunday of March (14 March 2027, at 02:00)
    // to the first Sunday of November (7 November 2027, at 02:00).
    let spm = region("975");
    for (m, d, off) in [(3, 12, -3), (3, 15, -2), (11, 5, -2), (11, 8, -3)] {
        assert_eq!(
            reason(at(off, 2027, m, d, 5, 59, 59), "975"),
            Some(ClosedReason::BeforeSix)
        );
        assert_eq!(reason(at(off, 2027, m, d, 6, 0, 0), "975"), None);
        assert_eq!(reason(at(off, 2027, m, d, 20, 59, 59), "975"), None);
        assert_eq!(
            reason(at(off, 2027, m, d, 21, 0, 0), "975"),
            Some(ClosedReason::AfterNine)
        );
    }
    // Saturday 13 March 2027 at 21:00 (−3) → Monday 15 March 06:00 (−2).
    let open = next_opening_in(at(-3, 2027, 3, 13, 21, 0, 0), None, None, &spm);
    assert_eq!(open, at(-2, 2027, 3, 15, 6, 0, 0));
    assert_eq!(spm.local(open).to_rfc3339(), "2027-03-15T06:00:00-02:00");
    // Saturday 6 November 2027 at 21:00 (−2) → Monday 8 November 06:00 (−3).
    let open = next_opening_in(at(-2, 2027, 11, 6, 21, 0, 0), None, None, &spm);
    assert_eq!(open, at(-3, 2027, 11, 8, 6, 0, 0));
    // With a judge's permission, a window starting in the spring gap (02:30 does not exist on
    // 14 March 2027) opens at the change: 03:00 (−2) = 05:00 UTC.
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let rule = ReceptionRule {
        windows: vec![Window::new(vec![Weekday::Sun], t(2, 30), t(4, 0)).unwrap()],
    };
    let open = next_opening_in(
        at(-3, 2027, 3, 13, 22, 0, 0),
        Some(&rule),
        Some("ORD"),
        &spm,
    );
    assert_eq!(open, at(0, 2027, 3, 14, 5, 0, 0));
    // Paris's rule would not know Miquelon's change.
    assert_ne!(
        next_opening(
            at(-3, 2027, 3, 13, 22, 0, 0),
            Some(&rule),
            Some("ORD"),
            &Calendar::NATIONAL
        ),
        open
    );
    // Autumn fold: a window 01:00–01:30 on 7 November 2027 is open in both passes.
    let rule = ReceptionRule {
        windows: vec![Window::new(vec![Weekday::Sun], t(1, 0), t(1, 30)).unwrap()],
    };
    for utc_h in [3, 4] {
        let first_or_second = at(0, 2027, 11, 7, utc_h, 10, 0);
        assert!(service_allowed_in(first_or_second, Some(&rule), Some("ORD"), &spm).is_ok());
    }
    // Every minute between a Saturday evening and its next opening is closed (a property over
    // both change weekends).
    for start in [at(-3, 2027, 3, 13, 18, 0, 0), at(-2, 2027, 11, 6, 18, 0, 0)] {
        let mut probe = start;
        while probe < start + Duration::hours(60) {
            let open = next_opening_in(probe, None, None, &spm);
            assert!(service_allowed_in(open, None, None, &spm).is_ok());
            let mut between = probe;
            while between < open {
                assert!(
                    service_allowed_in(between, None, None, &spm).is_err(),
                    "{between}"
                );
                between += Duration::minutes(7);
            }
            probe += Duration::minutes(41);
        }
    }
}
