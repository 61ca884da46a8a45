//! The clock of things that happen later (ADR 0010): EventBridge Scheduler
//! one-time schedules. Each is `at(yyyy-mm-ddThh:mm:ss)` (UTC) in a schedule
//! group of the stack, its target a function of the context that owns it,
//! its input that function's JSON; Scheduler deletes it once it has run.
//! Locally the dev server watches the same groups on the emulator and fires
//! due schedules itself.
//!
//! A context's scheduler is configured by `{PREFIX}_SCHEDULE_GROUP`,
//! `{PREFIX}_TARGET_ARN` and `{PREFIX}_ROLE_ARN` (`REMINDER_*` for task
//! reminders, `INVENTORY_*` for reservations and future prices); without
//! them nothing can be scheduled (`503`).

use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use crm_kernel::{AppError, Env, Timestamp};

#[derive(Clone)]
pub struct Scheduler {
    client: aws_sdk_scheduler::Client,
    config: Option<Config>,
    /// What is scheduled, for messages (`reminder`, `reservation expiry`).
    what: &'static str,
}

#[derive(Clone)]
struct Config {
    group: String,
    target_arn: String,
    role_arn: String,
}

impl Scheduler {
    /// The scheduler configured by `{prefix}_SCHEDULE_GROUP`,
    /// `{prefix}_TARGET_ARN` and `{prefix}_ROLE_ARN`.
    pub fn new(sdk: &aws_config::SdkConfig, env: &Env, prefix: &str, what: &'static str) -> Self {
        let var = |name: &str| env.get(&format!("{prefix}_{name}")).map(str::to_string);
        let config = match (var("SCHEDULE_GROUP"), var("TARGET_ARN"), var("ROLE_ARN")) {
            (Some(group), Some(target_arn), Some(role_arn)) => Some(Config { group, target_arn, role_arn }),
            _ => None,
        };
        Self { client: aws_sdk_scheduler::Client::new(sdk), config, what }
    }

    fn config(&self) -> Result<&Config, AppError> {
        self.config.as_ref().ok_or_else(|| AppError::Unavailable(format!("{}s are not configured on this deployment", self.what)))
    }

    /// Creates the one-time schedule `name` firing its target with `input` at `at`.
    pub async fn at(&self, name: &str, at: Timestamp, input: &impl serde::Serialize) -> Result<(), AppError> {
        let c = self.config()?;
        let input = serde_json::to_string(input).map_err(|e| AppError::Internal(e.to_string()))?;
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
                AppError::Unavailable(format!("the {} could not be scheduled; retry", self.what))
            })?;
        Ok(())
    }

    /// Removes a schedule (a cancelled reminder, a released reservation); one already gone is fine.
    pub async fn cancel(&self, name: &str) -> Result<(), AppError> {
        let c = self.config()?;
        match self.client.delete_schedule().name(name).group_name(&c.group).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
            Err(e) => {
                tracing::error!(error = ?e, name, "DeleteSchedule failed");
                Err(AppError::Unavailable(format!("the {} could not be cancelled; retry", self.what)))
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
