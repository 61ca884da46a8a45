//! The dispatch rules, pure: what the plan must include, who the recipient
//! is and at which address, whether suppression and consent allow the send,
//! which mirrors go with it, and when quiet hours release it. `post.rs`
//! reads what these need and writes what they decide.

use crm_directory::UserView;
use crm_kernel::{AppError, Timestamp};
use crm_notify::compose::{Mirror, Recipient};
use crm_notify::consent::{self, ConsentStatus};
use crm_notify::messages::{Channel, MessageKind};
use crm_notify::preferences::Preferences;

use super::request::DispatchRequest;
use crate::policy::Policy;
use crate::quiet;

/// The plan features a send of `kind` on `channel` needs.
pub fn features(channel: &Channel, kind: MessageKind) -> Vec<&'static str> {
    let (base, marketing) = match channel {
        Channel::Sms => ("notifications.sms", "marketing.sms"),
        Channel::Whatsapp => ("notifications.whatsapp", "marketing.whatsapp"),
        Channel::Email | Channel::Inbox => return Vec::new(),
    };
    if kind == MessageKind::Marketing {
        vec![base, marketing]
    } else {
        vec![base]
    }
}

/// The recipient: explicit addresses win over the user's (whose phone
/// counts only once verified); the locale is the user's preference, then
/// their profile's.
pub fn recipient(req: &DispatchRequest, person: Option<&UserView>, prefs: &Preferences) -> Result<Recipient, AppError> {
    Ok(Recipient {
        email: req.target.email.clone().or_else(|| person.map(|u| u.email.clone())),
        phone: match &req.target.phone {
            Some(raw) => Some(crm_kernel::Phone::parse(raw).map_err(|e| AppError::invalid_fields(vec![e]))?),
            None => person.and_then(|u| u.verified_phone().cloned()),
        },
        user_id: person.map(|u| u.id),
        locale: prefs.locale.clone().or_else(|| person.and_then(|u| u.profile.locale.clone())),
    })
}

/// The address the primary message goes to, or `400` naming what is missing.
pub fn primary_address(channel: &Channel, to: &Recipient) -> Result<String, AppError> {
    match channel {
        Channel::Email => to.email.clone(),
        Channel::Sms | Channel::Whatsapp => to.phone.as_ref().map(|p| p.to_string()),
        Channel::Inbox => to.user_id.map(|u| u.to_string()),
    }
    .ok_or_else(|| AppError::invalid("to", format!("the recipient has no {} address (a user's phone must be verified)", channel.as_str())))
}

/// What the table says of the addresses a dispatch touches.
pub struct Standing {
    /// The primary address's suppression reason, if suppressed.
    pub suppressed: Option<String>,
    pub consent: Option<ConsentStatus>,
    /// The email a mirror would go to: suppressed, and its consent.
    pub email_suppressed: bool,
    pub email_consent: Option<ConsentStatus>,
}

/// Whether the primary may go: not suppressed (`422 RECIPIENT_SUPPRESSED`),
/// and consent allows it (`422 CONSENT_REQUIRED`).
pub fn check_primary(
    req: &DispatchRequest,
    standing: &Standing,
    prefs: &Preferences,
    known_user: bool,
    policy: &Policy,
) -> Result<(), AppError> {
    if let Some(reason) = &standing.suppressed {
        return Err(AppError::Rule {
            code: "RECIPIENT_SUPPRESSED",
            message: format!("{} is on the suppression list ({reason})", req.channel.as_str()),
        });
    }
    let opted_in = match req.channel {
        Channel::Email => prefs.marketing_email_opt_in,
        Channel::Sms => prefs.marketing_sms_opt_in,
        Channel::Whatsapp => prefs.marketing_whatsapp_opt_in,
        Channel::Inbox => true,
    } && known_user;
    consent::check(&req.channel, req.kind, standing.consent, opted_in, policy.allow_transactional_over_stop)
}

/// The mirrors: the request's, else the policy's; then the user's
/// preferences; an email mirror only for an SMS or WhatsApp primary, to an
/// address that is not suppressed.
pub fn mirrors(
    req: &DispatchRequest,
    to: &Recipient,
    standing: &Standing,
    prefs: &Preferences,
    known_user: bool,
    policy: &Policy,
) -> Mirror {
    let mut mirror = req.mirror.unwrap_or(if req.kind == MessageKind::Marketing && !policy.mirror_marketing {
        Mirror { email: false, inbox: false }
    } else {
        Mirror::default()
    });
    if known_user {
        mirror.email &= match req.channel {
            Channel::Whatsapp => prefs.email_on_whatsapp,
            _ => prefs.email_on_sms,
        };
        mirror.inbox &= prefs.inbox_on_all;
    }
    let mirrors_email = matches!(req.channel, Channel::Sms | Channel::Whatsapp) && to.email.is_some();
    mirror.email &= mirrors_email && !standing.email_suppressed;
    mirror
}

/// Whether a marketing email mirror may go (its own consent).
pub fn marketing_email_ok(standing: &Standing, prefs: &Preferences, known_user: bool) -> bool {
    consent::check(&Channel::Email, MessageKind::Marketing, standing.email_consent, prefs.marketing_email_opt_in && known_user, false)
        .is_ok()
}

/// When the primary goes: its schedule (or now), moved past quiet hours
/// and do-not-disturb unless the request overrides them; `None` is now.
pub fn release(
    req: &DispatchRequest,
    person: Option<&UserView>,
    prefs: &Preferences,
    policy: &Policy,
    now: Timestamp,
) -> Option<Timestamp> {
    let due = req.schedule_at.unwrap_or(now);
    let zone = person
        .and_then(|u| u.profile.timezone.as_deref())
        .or(policy.timezone.as_deref())
        .and_then(crm_kernel::time::parse_zone)
        .unwrap_or(chrono_tz::UTC);
    let release = if req.override_quiet_hours {
        due.as_datetime()
    } else {
        quiet::release_at(due.as_datetime(), &zone, &req.channel, policy.quiet_hours.as_ref(), prefs.dnd_until.map(|d| d.as_datetime()))
    };
    Some(Timestamp::from_datetime(release)).filter(|at| *at > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_and_whatsapp_need_their_feature_and_marketing_its_own() {
        assert!(features(&Channel::Email, MessageKind::Marketing).is_empty());
        assert_eq!(features(&Channel::Sms, MessageKind::Transactional), vec!["notifications.sms"]);
        assert_eq!(features(&Channel::Whatsapp, MessageKind::Marketing), vec!["notifications.whatsapp", "marketing.whatsapp"]);
    }

    #[test]
    fn an_inbox_message_goes_to_the_user_and_a_missing_address_is_named() {
        let user = crm_kernel::UserId::new();
        let to = Recipient { email: None, phone: None, user_id: Some(user), locale: None };
        assert_eq!(primary_address(&Channel::Inbox, &to).unwrap(), user.to_string());
        let e = primary_address(&Channel::Sms, &to).unwrap_err();
        assert_eq!(e.details()[0].field, "to");
    }
}
