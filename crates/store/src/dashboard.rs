//! The dashboard: four categories of unseen notifications with counts kept on write, pages of
//! ten with a filter, and "mark seen".

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use sceau_core::delivery::NotificationCategory;

use crate::error::{Error, Result};
use crate::query::Params;
use crate::services::ServiceId;
use crate::{from_ms, normalize, prefix_end, Page, Store, PAGE_SIZE};

/// Unseen notifications per category (the numbers in front of the dashboard's headings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DashboardCounts {
    /// Services awaiting consultation.
    pub awaiting_consultation: u64,
    /// Services delivered "à personne".
    pub delivered_in_person: u64,
    /// Services delivered "à domicile".
    pub delivered_at_home: u64,
    /// Returns awaiting the office's consultation.
    pub return_awaiting_consultation: u64,
}

impl DashboardCounts {
    /// The count of `category`.
    pub fn get(&self, category: NotificationCategory) -> u64 {
        match category {
            NotificationCategory::AwaitingConsultation => self.awaiting_consultation,
            NotificationCategory::DeliveredInPerson => self.delivered_in_person,
            NotificationCategory::DeliveredAtHome => self.delivered_at_home,
            NotificationCategory::ReturnAwaitingConsultation => self.return_awaiting_consultation,
        }
    }
}

/// The filter above a category's list; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardFilter {
    /// Reference starts with (case and accents ignored).
    pub reference: Option<String>,
    /// Notification time from (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Notification time until (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// File name starts with.
    pub file: Option<String>,
    /// Recipient's name starts with.
    pub recipient: Option<String>,
    /// Event text starts with.
    pub event: Option<String>,
}

/// One line of a dashboard list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its identifier (for "mark seen").
    pub id: i64,
    /// The service it is about (for the magnifier).
    pub service_id: ServiceId,
    /// Its category.
    pub category: NotificationCategory,
    /// When the event happened.
    pub at: DateTime<Utc>,
    /// What happened, in French.
    pub event: String,
    /// The file concerned, if any.
    pub file: Option<String>,
    /// The service's reference.
    pub reference: String,
    /// The recipient's name.
    pub recipient_name: String,
}

pub(crate) fn parse_category(s: &str) -> Result<NotificationCategory> {
    NotificationCategory::ALL
        .into_iter()
        .find(|c| c.code() == s)
        .ok_or_else(|| Error::Corrupt {
            detail: format!("notification category {s:?}"),
        })
}

/// Adds an unseen notification in the open transaction (the count follows by trigger).
pub(crate) fn insert_notification(
    conn: &Connection,
    service: ServiceId,
    category: NotificationCategory,
    at: DateTime<Utc>,
    event: &str,
    file: Option<&str>,
) -> Result<()> {
    let n = conn
        .prepare_cached(
            "INSERT INTO notifications (service_id, category, at, event, event_norm, file,
                 file_norm, reference_norm, recipient_norm)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, s.reference_norm, s.recipient_norm
             FROM services s WHERE s.id = ?1",
        )?
        .execute(params![
            service.0,
            category.code(),
            at.timestamp_millis(),
            event,
            normalize(event),
            file,
            file.map(normalize),
        ])?;
    if n != 1 {
        return Err(Error::NotFound {
            what: "service",
            id: service.to_string(),
        });
    }
    Ok(())
}

impl Store {
    /// The unseen counts of the four categories (read from counters, not counted).
    pub fn dashboard_counts(&self) -> Result<DashboardCounts> {
        let mut st = self
            .conn
            .prepare_cached("SELECT category, unseen FROM notification_counts")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut c = DashboardCounts::default();
        for row in rows {
            let (cat, n) = row?;
            let n = u64::try_from(n).map_err(|_| Error::Corrupt {
                detail: format!("negative count {n}"),
            })?;
            match parse_category(&cat)? {
                NotificationCategory::AwaitingConsultation => c.awaiting_consultation = n,
                NotificationCategory::DeliveredInPerson => c.delivered_in_person = n,
                NotificationCategory::DeliveredAtHome => c.delivered_at_home = n,
                NotificationCategory::ReturnAwaitingConsultation => {
                    c.return_awaiting_consultation = n
                }
            }
        }
        Ok(c)
    }

    /// The counts recomputed by scanning (slow on large stores): for consistency checks.
    pub fn dashboard_counts_scanned(&self) -> Result<DashboardCounts> {
        let mut c = DashboardCounts::default();
        for cat in NotificationCategory::ALL {
            let n: i64 = self.conn.query_row(
                "SELECT count(*) FROM notifications WHERE category = ?1 AND seen = 0",
                [cat.code()],
                |r| r.get(0),
            )?;
            let n = n.unsigned_abs();
            match cat {
                NotificationCategory::AwaitingConsultation => c.awaiting_consultation = n,
                NotificationCategory::DeliveredInPerson => c.delivered_in_person = n,
                NotificationCategory::DeliveredAtHome => c.delivered_at_home = n,
                NotificationCategory::ReturnAwaitingConsultation => {
                    c.return_awaiting_consultation = n
                }
            }
        }
        Ok(c)
    }

    /// One page of the unseen notifications of `category`, most recent first.
    pub fn dashboard_page(
        &self,
        category: NotificationCategory,
        filter: &DashboardFilter,
        page: usize,
    ) -> Result<Page<Notification>> {
        // The plan is chosen here, not left to statistics: the most selective filter's partial
        // index over unseen notifications, else the one in date order (no sort at all).
        let index = if filter.reference.is_some() {
            "notifications_unseen_by_reference"
        } else if filter.file.is_some() {
            "notifications_unseen_by_file"
        } else if filter.recipient.is_some() {
            "notifications_unseen_by_recipient"
        } else {
            "notifications_unseen"
        };
        let mut sql = format!(
            "SELECT n.id, n.service_id, n.category, n.at, n.event, n.file, s.reference,
                    s.recipient_name
             FROM notifications n INDEXED BY {index} JOIN services s ON s.id = n.service_id
             WHERE n.category = ?1 AND n.seen = 0"
        );
        let mut args = Params::new(vec![Box::new(category.code())]);
        if let Some(from) = filter.from {
            args.bind(
                &mut sql,
                " AND n.at >= ?",
                Box::new(from.timestamp_millis()),
            );
        }
        if let Some(until) = filter.until {
            args.bind(
                &mut sql,
                " AND n.at < ?",
                Box::new(until.timestamp_millis()),
            );
        }
        // Every filter reads the notification itself (partial indexes over unseen ones).
        for (column, value) in [
            ("n.reference_norm", &filter.reference),
            ("n.recipient_norm", &filter.recipient),
            ("n.file_norm", &filter.file),
            ("n.event_norm", &filter.event),
        ] {
            if let Some(v) = value {
                let p = normalize(v);
                let end = prefix_end(&p);
                args.bind(&mut sql, &format!(" AND {column} >= ?"), Box::new(p));
                args.bind(&mut sql, &format!(" AND {column} < ?"), Box::new(end));
            }
        }
        let window = args.page_window(page);
        sql.push_str(&format!(" ORDER BY n.at DESC, n.id DESC {window}"));
        let mut st = self.conn.prepare_cached(&sql)?;
        let params = args.as_slice();
        let rows = st.query_map(params.as_slice(), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (id, sid, cat, at, event, file, reference, recipient_name) = row?;
            items.push(Notification {
                id,
                service_id: ServiceId(sid),
                category: parse_category(&cat)?,
                at: from_ms(at),
                event,
                file,
                reference,
                recipient_name,
            });
        }
        let has_more = items.len() > PAGE_SIZE;
        items.truncate(PAGE_SIZE);
        Ok(Page {
            items,
            page,
            has_more,
        })
    }

    /// Marks notification `id` seen (the eye); returns whether it was unseen.
    pub fn mark_seen(&mut self, id: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE notifications SET seen = 1 WHERE id = ?1 AND seen = 0",
            [id],
        )?;
        Ok(n == 1)
    }

    /// Marks every notification of service `id` seen (opening its detail); returns how many.
    pub fn mark_service_seen(&mut self, id: ServiceId) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE notifications SET seen = 1 WHERE service_id = ?1 AND seen = 0",
            [id.0],
        )?)
    }
}
