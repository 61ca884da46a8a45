//! The reminder clock: EventBridge Scheduler one-time schedules. A reminder
//! is a schedule `at(yyyy-mm-ddThh:mm:ss)` (UTC) in the stack's reminder
//! group whose target is the reminder function, with the reminder's [`Fire`]
//! as input; Scheduler deletes it once it has run. Locally the dev server
//! watches the same group on the emulator and fires due schedules itself.
//!
//! Configured by `REMINDER_SCHEDULE_GROUP`, `REMINDER_TARGET_ARN` and
//! `REMINDER_ROLE_ARN`; without them reminders cannot be scheduled (`503`).

use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use crm_kernel::{AppError, Env, Timestamp};

use crate::reminder::Fire;

#[derive(Clone)]
pub struct Scheduler {
    client: aws_sdk_scheduler::Client,
    config: Option<Config>,
}

#[derive(Clone)]
struct Config {
    group: String,
    target_arn: String,
    role_arn: String,
}

impl Scheduler {
    pub fn new(sdk: &aws_config::SdkConfig, env: &Env) -> Self {
        let config = match (env.get("REMINDER_SCHEDULE_GROUP"), env.get("REMINDER_TARGET_ARN"), env.get("REMINDER_ROLE_ARN")) {
            (Some(g), Some(t), Some(r)) => Some(Config { group: g.into(), target_arn: t.into(), role_arn: r.into() }),
            _ => None,
        };
        Self { client: aws_sdk_scheduler::Client::new(sdk), config }
    }

    fn config(&self) -> Result<&Config, AppError> {
        self.config.as_ref().ok_or_else(|| AppError::Unavailable("reminders are not configured on this deployment".into()))
    }

    /// Creates the one-time schedule `name` firing `fire` at `at`.
    pub async fn at(&self, name: &str, at: Timestamp, fire: &Fire) -> Result<(), AppError> {
        let c = self.config()?;
        let input = serde_json::to_string(fire).map_err(|e| AppError::Internal(e.to_string()))?;
        let target = Target::builder()
            .arn(&c.target_arn)
            .role_arn(&c.role_arn)
            .input(input)
            .build()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let window =
            FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().map_err(|e| AppError::Internal(e.to_string()))?;
        self.client
            .create_schedule()
            .name(name)
            .group_name(&c.group)
            .schedule_expression(expression(at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, name, "CreateSchedule failed");
                AppError::Unavailable("the reminder could not be scheduled; retry".into())
            })?;
        Ok(())
    }

    /// Removes a schedule (a cancelled reminder); one already gone is fine.
    pub async fn cancel(&self, name: &str) -> Result<(), AppError> {
        let c = self.config()?;
        match self.client.delete_schedule().name(name).group_name(&c.group).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
            Err(e) => {
                tracing::error!(error = ?e, name, "DeleteSchedule failed");
                Err(AppError::Unavailable("the reminder could not be cancelled; retry".into()))
            }
        }
    }
}

/// Scheduler's one-time expression, to the second, UTC.
pub fn expression(at: Timestamp) -> String {
    format!("at({})", &at.to_string()[..19])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_expressions_are_utc_seconds() {
        assert_eq!(expression(Timestamp::parse("2026-11-23T10:15:30.123Z").unwrap()), "at(2026-11-23T10:15:30)");
    }
}
