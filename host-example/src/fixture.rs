//! SSM answered inside the host from a JSON file, with SSM's real response and error shapes, so
//! the whole path (build, sign, send, parse) runs without an AWS account.
//!
//! ```json
//! {
//!   "parameters": {
//!     "/airflow/variables/greeting": "hello",
//!     "/airflow/connections/db": {"Type": "SecureString", "Value": "postgres://u:p@h/db"}
//!   },
//!   "errors": {
//!     "/airflow/variables/locked": {"__type": "AccessDeniedException", "message": "denied"}
//!   }
//! }
//! ```
//!
//! A request must be a signed (`Authorization: AWS4-HMAC-SHA256 ...`) JSON 1.1
//! `AmazonSSM.GetParameter` or `GetParameters`; anything else gets the error SSM would give.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One stored parameter.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum StoredParameter {
    Plain(String),
    Typed {
        #[serde(rename = "Type", default = "default_type")]
        kind: String,
        #[serde(rename = "Value")]
        value: String,
    },
}

fn default_type() -> String {
    "String".to_string()
}

/// A scripted error reply for one name.
#[derive(Debug, Clone, Deserialize)]
struct StoredError {
    #[serde(rename = "__type")]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default = "default_status")]
    status: u16,
}

fn default_status() -> u16 {
    400
}

/// The parameters and scripted errors of a fixture file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default)]
    parameters: BTreeMap<String, StoredParameter>,
    #[serde(default)]
    errors: BTreeMap<String, StoredError>,
}

impl Fixture {
    /// Reads a fixture file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the fixture {}: {e}", path.display()))?;
        Self::from_json(&text).map_err(|e| format!("fixture {}: {e}", path.display()))
    }

    /// Parses fixture JSON.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not a valid fixture: {e}"))
    }

    /// Whether `request` is meant for SSM (JSON 1.1 with an `AmazonSSM.` target), the only
    /// service a fixture stands in for.
    pub fn serves(request: &http::Request<Bytes>) -> bool {
        request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("AmazonSSM."))
    }

    /// The reply SSM would give to `request`.
    pub fn respond(&self, request: &http::Request<Bytes>) -> http::Response<Bytes> {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        if !header("authorization").starts_with("AWS4-HMAC-SHA256 Credential=") {
            return error(
                400,
                "MissingAuthenticationTokenException",
                "Request is missing Authentication Token",
            );
        }
        let body = serde_json::from_slice::<RequestBody>(request.body()).ok();
        match (
            request.method() == http::Method::POST,
            header("x-amz-target"),
        ) {
            (true, "AmazonSSM.GetParameter") => match body.as_ref().and_then(|b| b.name.as_deref())
            {
                Some(name) => self.get_parameter(name),
                None => error(400, "SerializationException", ""),
            },
            (true, "AmazonSSM.GetParameters") => {
                let names: Option<Vec<&str>> = body
                    .as_ref()
                    .and_then(|b| b.names.as_ref())
                    .map(|names| names.iter().map(|n| &**n).collect());
                match names {
                    Some(names) if (1..=10).contains(&names.len()) => self.get_parameters(&names),
                    Some(_) => error(
                        400,
                        "ValidationException",
                        "Names: length must be between 1 and 10",
                    ),
                    None => error(400, "SerializationException", ""),
                }
            }
            _ => error(400, "UnknownOperationException", ""),
        }
    }

    fn parameter<'a>(&'a self, name: &'a str) -> Option<Parameter<'a>> {
        let (kind, value) = match self.parameters.get(name)? {
            StoredParameter::Plain(value) => ("String", value.as_str()),
            StoredParameter::Typed { kind, value } => (kind.as_str(), value.as_str()),
        };
        Some(Parameter {
            name,
            kind,
            value,
            version: 1,
            last_modified_date: 1_795_476_998.181,
            arn: format!("arn:aws:ssm:us-east-1:123456789012:parameter{name}"),
            data_type: "text",
        })
    }

    fn get_parameter(&self, name: &str) -> http::Response<Bytes> {
        if let Some(e) = self.errors.get(name) {
            return error(e.status, &e.code, &e.message);
        }
        match self.parameter(name) {
            Some(parameter) => reply(200, to_json(&GetParameterReply { parameter }), None),
            None => error(400, "ParameterNotFound", ""),
        }
    }

    /// A scripted error for any of the names fails the whole call, as an IAM denial does.
    fn get_parameters(&self, names: &[&str]) -> http::Response<Bytes> {
        if let Some(e) = names.iter().find_map(|n| self.errors.get(*n)) {
            return error(e.status, &e.code, &e.message);
        }
        let found: Vec<Parameter<'_>> = names.iter().filter_map(|n| self.parameter(n)).collect();
        let invalid: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !self.parameters.contains_key(*n))
            .collect();
        reply(
            200,
            json!({ "Parameters": found, "InvalidParameters": invalid }).to_string(),
            None,
        )
    }
}

/// The part of a request body the fixture reads.
#[derive(Deserialize)]
struct RequestBody<'a> {
    #[serde(rename = "Name", borrow, default)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "Names", borrow, default)]
    names: Option<Vec<std::borrow::Cow<'a, str>>>,
}

/// A parameter as SSM returns it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Parameter<'a> {
    name: &'a str,
    #[serde(rename = "Type")]
    kind: &'a str,
    value: &'a str,
    version: u32,
    last_modified_date: f64,
    #[serde(rename = "ARN")]
    arn: String,
    data_type: &'static str,
}

#[derive(Serialize)]
struct GetParameterReply<'a> {
    #[serde(rename = "Parameter")]
    parameter: Parameter<'a>,
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("replies serialize")
}

fn reply(status: u16, body: String, error_type: Option<&str>) -> http::Response<Bytes> {
    let mut response = http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", "00000000-0000-4000-8000-000000000000");
    if let Some(code) = error_type {
        response = response.header("x-amzn-errortype", code);
    }
    response
        .body(Bytes::from(body))
        .expect("static status and headers are valid")
}

/// An SSM JSON 1.1 error reply.
pub fn error(status: u16, code: &str, message: &str) -> http::Response<Bytes> {
    let body = if message.is_empty() {
        json!({ "__type": code })
    } else {
        json!({ "__type": code, "message": message })
    };
    reply(status, body.to_string(), Some(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str, signed: bool) -> http::Request<Bytes> {
        let mut b = http::Request::post("https://ssm.us-east-1.amazonaws.com/")
            .header("x-amz-target", "AmazonSSM.GetParameter");
        if signed {
            b = b.header("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00");
        }
        b.body(Bytes::from(body.to_string())).unwrap()
    }

    fn fixture() -> Fixture {
        Fixture::from_json(r#"{"parameters": {"/a": "1", "/b": {"Type": "SecureString", "Value": "2"}}, "errors": {"/c": {"__type": "AccessDeniedException", "message": "no"}}}"#).unwrap()
    }

    fn json_body(r: &http::Response<Bytes>) -> serde_json::Value {
        serde_json::from_slice(r.body()).unwrap()
    }

    #[test]
    fn answers_like_ssm() {
        let f = fixture();
        let r = f.respond(&request(r#"{"Name": "/b", "WithDecryption": true}"#, true));
        assert_eq!(r.status(), 200);
        assert_eq!(json_body(&r)["Parameter"]["Value"], "2");
        assert_eq!(json_body(&r)["Parameter"]["Type"], "SecureString");
        let r = f.respond(&request(r#"{"Name": "/zz"}"#, true));
        assert_eq!(
            (r.status().as_u16(), json_body(&r)["__type"].as_str()),
            (400, Some("ParameterNotFound"))
        );
        let r = f.respond(&request(r#"{"Name": "/c"}"#, true));
        assert_eq!(json_body(&r)["__type"], "AccessDeniedException");
    }

    #[test]
    fn get_parameters_splits_found_and_invalid() {
        let mut r = request(
            r#"{"Names": ["/a", "/zz", "/b"], "WithDecryption": true}"#,
            true,
        );
        r.headers_mut()
            .insert("x-amz-target", "AmazonSSM.GetParameters".parse().unwrap());
        let body = json_body(&fixture().respond(&r));
        assert_eq!(body["Parameters"].as_array().unwrap().len(), 2);
        assert_eq!(body["InvalidParameters"], serde_json::json!(["/zz"]));
        let mut r = request(r#"{"Names": ["/a", "/c"]}"#, true);
        r.headers_mut()
            .insert("x-amz-target", "AmazonSSM.GetParameters".parse().unwrap());
        assert_eq!(
            json_body(&fixture().respond(&r))["__type"],
            "AccessDeniedException"
        );
    }

    #[test]
    fn unsigned_requests_are_refused() {
        let r = fixture().respond(&request(r#"{"Name": "/a"}"#, false));
        assert_eq!(
            json_body(&r)["__type"],
            "MissingAuthenticationTokenException"
        );
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error() {
        assert!(Fixture::from_json(r#"{"parameter": {}}"#).is_err());
    }
}
