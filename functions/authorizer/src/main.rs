//! Lambda bootstrap of the authorizer.

use authorizer::Authorizer;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    crm_http::telemetry::init("authorizer");
    let (config, env) = crm_secrets::load().await?;
    let authorizer = Authorizer::from_env(&config, &env)?;
    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request>| async move {
        Ok::<_, Error>(authorizer.handle(&event.payload).await)
    }))
    .await
}
