//! Lambda bootstrap: `HANDLER=api` (default) serves the HTTP routes,
//! `HANDLER=activity_feed` runs the feed projector on its SQS queue,
//! `HANDLER=reminder` fires a task reminder (EventBridge Scheduler input).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    crm_runtime::run(&activities::FUNCTION).await
}
