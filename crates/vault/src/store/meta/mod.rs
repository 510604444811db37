//! The vault's metadata: schema and every query, written once for both backends.
//!
//! One module per group of tables; callers use the queries through this module (`meta::x`).

mod bank;
mod consents;
mod deposits;
mod entries;
mod invitations;
mod journal;
mod notices;
mod notifications;
mod offices;
mod places;
mod portal;
mod recipient_side;
mod recipients;
mod schema;

pub use bank::{bank_by_cert, bind_bank_cert};
pub use consents::{consent, insert_consent, list_consents, revoke_consent, rule, set_rule};
pub use deposits::{
    deposit, deposit_any, deposit_by_key, insert_deposit, insert_recipient_file, search_deposits,
    DepositRow, SearchCriteria,
};
pub use entries::{
    ancestors, delete_entry, deposit_archive_sha, ensure_folder, entry, file_in_office_vault,
    free_path, insert_entry, list_entries, set_entry_description, set_entry_path,
    set_entry_retention, space_used, subtree,
};
pub use invitations::{
    answer_invitation, insert_invitation, invitation_by_token, office_invitation,
    office_invitations, renew_invitation, set_codes_sent, InvitationRow,
};
pub use journal::{
    checkpoint_covering, checkpoints_after, deposit_journal, insert_checkpoint, insert_journal,
    journal_chain_batch, journal_hashes, journal_head, last_checkpoint, office_journal,
    CheckpointRow, JournalRow,
};
pub use notices::{
    claim_digest, declared_office_contact, digest_status, due_digests, finish_digest,
    insert_digest, insert_digest_member, next_digest_at, office_contact, open_digest,
    recipient_notices, retry_digest, set_office_contact, set_recipient_notices, DigestRow,
    OfficeContact,
};
pub use notifications::{
    claim_notifications, deposits_without_notification, due_notifications, finish_notification,
    insert_notification, next_notification_at, notification_status, retry_notification,
    set_notification_attempts,
};
pub use offices::{
    bind_cert, declare_office, declared_office, declared_offices, insert_office, office_by_cert,
    office_by_id, office_by_number, DeclaredOffice, OfficeRow,
};
pub use places::{
    office_region, office_region_by_id, placed_card, recipient_region, set_office_region,
    set_recipient_region,
};
pub use portal::{
    audit_lines, code_state, consume_code, consume_right_code, count_wrong_code, delete_session,
    insert_audit, insert_link, insert_session, link_recipient, purge_portal, session, set_code,
    touch_session, AuditLine, CodeState, PortalPurge,
};
pub use recipient_side::{
    act_return, awaiting_deposits, consultation, consulted_undecided, insert_consultation,
    insert_notice, insert_return, notice, recipient_acts, recipient_deposit, recipient_file_sha,
    set_delivery_state, NoticeRow, RecipientAct, ReturnRow,
};
pub use recipients::{
    duplicates, enrolment, insert_enrolled_recipient, mask_nir, name_key, recipient,
    search_recipients, upsert_recipient, Enrolment, RecipientQuery, RecipientRow, SameAs,
};
pub use schema::{migrate, migrate_all, parse_ts, ts};
