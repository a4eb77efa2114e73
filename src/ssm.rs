//! The SSM wire protocol (JSON 1.1): `GetParameter` requests, and replies turned into a value,
//! "not found", or a typed error.

use http::Method;
use http::header::{CONTENT_TYPE as CONTENT_TYPE_HEADER, HeaderName};
use serde::{Deserialize, Serialize};

use crate::aws_error::{content_type, parse_error};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::message::{self, MAX_RESPONSE_BYTES, Request, Response};

/// The JSON 1.1 content type SSM speaks.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The operation a JSON 1.1 request asks for.
const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");

/// A `GetParameter` request body.
#[derive(Serialize)]
struct GetParameterInput<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "WithDecryption")]
    with_decryption: bool,
}

/// A `GetParameters` request body.
#[derive(Serialize)]
struct GetParametersInput<'a> {
    #[serde(rename = "Names")]
    names: &'a [String],
    #[serde(rename = "WithDecryption")]
    with_decryption: bool,
}

/// An unsigned `GetParameter` request for `name` with `WithDecryption: true`.
pub fn get_parameter_request(endpoint: &Endpoint, name: &str) -> Result<Request, Error> {
    let input = GetParameterInput {
        name,
        with_decryption: true,
    };
    json_request(endpoint, "AmazonSSM.GetParameter", to_body(&input))
}

/// The most names one `GetParameters` call takes.
pub const MAX_BATCH: usize = 10;

/// An unsigned `GetParameters` request for up to [`MAX_BATCH`] names, with decryption.
pub fn get_parameters_request(endpoint: &Endpoint, names: &[String]) -> Result<Request, Error> {
    let input = GetParametersInput {
        names,
        with_decryption: true,
    };
    json_request(endpoint, "AmazonSSM.GetParameters", to_body(&input))
}

/// A request body: serde_json's compact bytes.
fn to_body(input: &impl Serialize) -> Vec<u8> {
    // Structs of strings and booleans: writing them into a `Vec` cannot fail.
    serde_json::to_vec(input).unwrap_or_default()
}

/// A `GetParameters` reply; other members (`InvalidParameters`) are not read.
#[derive(Deserialize)]
struct GetParametersOutput {
    /// Absent and `null` are none.
    #[serde(rename = "Parameters")]
    parameters: Option<Vec<BatchParameter>>,
}

/// One parameter of a `GetParameters` reply.
#[derive(Deserialize)]
struct BatchParameter {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value")]
    value: String,
    #[serde(rename = "Selector")]
    selector: Option<String>,
    #[serde(rename = "ARN")]
    arn: Option<String>,
}

/// The values of a `GetParameters` reply, aligned with `requested`: `None` for a name SSM
/// listed in `InvalidParameters` (or did not return), which is "not found".
pub fn parse_get_parameters(
    response: &Response,
    requested: &[String],
    secrets: &[&str],
) -> Result<Vec<Option<String>>, Error> {
    let body = response.body();
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(Error::transport(format!(
            "the SSM reply is larger than {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    if !response.status().is_success() {
        return Err(Error::aws(parse_error(response, secrets)));
    }
    let output: GetParametersOutput = serde_json::from_slice(body).map_err(|e| {
        Error::invalid_value(format!(
            "the SSM GetParameters reply is not what the protocol promises ({}; {} bytes)",
            json_problem(&e),
            body.len()
        ))
    })?;
    let parameters = output.parameters.unwrap_or_default();
    Ok(requested
        .iter()
        .map(|name| {
            parameters
                .iter()
                .find(|p| {
                    p.name == *name
                        || p.arn.as_deref() == Some(name.as_str())
                        || p.selector.as_deref().is_some_and(|s| {
                            name.len() == p.name.len() + s.len()
                                && name.starts_with(p.name.as_str())
                                && name.ends_with(s)
                        })
                })
                .map(|p| p.value.clone())
        })
        .collect())
}

fn json_request(endpoint: &Endpoint, target: &str, body: Vec<u8>) -> Result<Request, Error> {
    let headers = [(CONTENT_TYPE_HEADER, CONTENT_TYPE), (X_AMZ_TARGET, target)];
    message::request(Method::POST, endpoint, endpoint.path(), &headers, body)
}

/// A `GetParameter` reply: `{"Parameter": {"Value": "..."}}`; other members are not read.
#[derive(Deserialize)]
struct GetParameterOutput {
    #[serde(rename = "Parameter")]
    parameter: Parameter,
}

#[derive(Deserialize)]
struct Parameter {
    #[serde(rename = "Value")]
    value: String,
}

/// The value of a `GetParameter` reply; `None` for `ParameterNotFound`.
///
/// `secrets` are the credentials in play: they are removed from any AWS message quoted in an
/// error. Nothing of a reply body other than AWS's error code and message is ever quoted.
pub fn parse_get_parameter(response: &Response, secrets: &[&str]) -> Result<Option<String>, Error> {
    let body = response.body();
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(Error::transport(format!(
            "the SSM reply is larger than {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    if !response.status().is_success() {
        let error = parse_error(response, secrets);
        return match error.code.as_str() {
            "ParameterNotFound" => Ok(None),
            _ => Err(Error::aws(error)),
        };
    }
    let output: GetParameterOutput = serde_json::from_slice(body).map_err(|e| {
        Error::invalid_value(format!(
            "the SSM GetParameter reply is not what the protocol promises ({}; {} bytes, \
             content-type {})",
            json_problem(&e),
            body.len(),
            content_type(response)
        ))
    })?;
    Ok(Some(output.parameter.value))
}

/// Describes a serde_json error by kind and position only: its own text may quote the input.
pub(crate) fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not valid JSON",
        Category::Data => "JSON of the wrong shape",
        Category::Eof => "truncated JSON",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn reply(status: u16, body: &str) -> Response {
        http::Response::builder()
            .status(status)
            .header("content-type", CONTENT_TYPE)
            .body(body.into())
            .unwrap()
    }

    #[test]
    fn request_bodies_are_the_bytes_serde_json_writes() {
        let endpoint = Endpoint::regional("ssm", "eu-west-1", true);
        for name in ["/a/b", "q\"uote\\back", "tab\tnl\n\u{1}", "é/✓", ""] {
            let want = serde_json::json!({ "Name": name, "WithDecryption": true }).to_string();
            assert_eq!(
                *get_parameter_request(&endpoint, name).unwrap().body(),
                want.as_bytes()
            );
        }
        for names in [
            vec![],
            vec!["/a".to_string()],
            vec!["/a".into(), "b\"c".into(), "/d:2".into()],
        ] {
            let want = serde_json::json!({ "Names": names, "WithDecryption": true }).to_string();
            assert_eq!(
                *get_parameters_request(&endpoint, &names).unwrap().body(),
                want.as_bytes()
            );
        }
    }

    #[test]
    fn request_is_a_json_get_parameter_with_decryption() {
        let endpoint = Endpoint::regional("ssm", "eu-west-1", true);
        let req = get_parameter_request(&endpoint, "/airflow/variables/x").unwrap();
        assert_eq!(req.method(), "POST");
        assert_eq!(req.uri(), "https://ssm.eu-west-1.amazonaws.com/");
        assert_eq!(req.headers()["host"], "ssm.eu-west-1.amazonaws.com");
        assert_eq!(req.headers()["x-amz-target"], "AmazonSSM.GetParameter");
        assert_eq!(req.headers()["content-type"], CONTENT_TYPE);
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Name": "/airflow/variables/x", "WithDecryption": true})
        );
        assert_eq!(
            req.headers()["content-length"],
            req.body().len().to_string().as_str()
        );
    }

    #[test]
    fn value_is_returned_verbatim() {
        let r = reply(
            200,
            r#"{"Parameter":{"Name":"/x","Type":"SecureString","Value":" a,b \n","Version":3}}"#,
        );
        assert_eq!(
            parse_get_parameter(&r, &[]).unwrap().as_deref(),
            Some(" a,b \n")
        );
    }

    #[test]
    fn parameter_not_found_is_none() {
        let r = reply(
            400,
            r#"{"__type":"ParameterNotFound","message":"Parameter /x not found."}"#,
        );
        assert_eq!(parse_get_parameter(&r, &[]).unwrap(), None);
        let r = reply(
            400,
            r#"{"__type":"com.amazonaws.ssm#ParameterNotFound:http://internal.amazon.com/"}"#,
        );
        assert_eq!(parse_get_parameter(&r, &[]).unwrap(), None);
    }

    #[test]
    fn other_errors_keep_their_code() {
        let r = reply(
            400,
            r#"{"__type":"ParameterVersionNotFound","Message":"v9"}"#,
        );
        let e = parse_get_parameter(&r, &[]).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Service(a) if a.code == "ParameterVersionNotFound" && a.message == "v9")
        );
        let r = reply(
            400,
            r#"{"__type":"AccessDeniedException","message":"User: x is not authorized"}"#,
        );
        assert!(matches!(
            parse_get_parameter(&r, &[]).unwrap_err().kind(),
            ErrorKind::AccessDenied(_)
        ));
        let r = reply(
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        );
        assert!(matches!(
            parse_get_parameter(&r, &[]).unwrap_err().kind(),
            ErrorKind::Throttled(_)
        ));
    }

    #[test]
    fn xml_errors_of_query_protocol_services_are_understood() {
        let r = reply(
            403,
            "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature &amp; more</Message></Error></ErrorResponse>",
        );
        let e = parse_get_parameter(&r, &[]).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Service(a) if a.code == "SignatureDoesNotMatch" && a.message == "The request signature & more" && a.status == 403)
        );
    }

    #[test]
    fn replies_without_a_code_get_their_status() {
        let r = reply(502, "<html><body>Bad Gateway SECRETVALUE</body></html>");
        let e = parse_get_parameter(&r, &[]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Service(a) if a.code == "502"));
        assert!(!e.to_string().contains("SECRETVALUE"));
    }

    #[test]
    fn malformed_success_bodies_are_invalid_values_that_quote_nothing() {
        for body in [
            "not json SECRETVALUE",
            r#"{"Parameter":{"Value":5,"Name":"SECRETVALUE"}}"#,
            r#"{"Parameter":{"Name":"SECRETVALUE"}}"#,
            r#"{"Parameter":{"Value":"SECRETVALUE""#,
            "",
        ] {
            let e = parse_get_parameter(&reply(200, body), &[]).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::InvalidValue, "{body}");
            assert!(!e.to_string().contains("SECRETVALUE"), "{e}");
        }
        let non_utf8 = Response::new(vec![0xff, 0xfe, b'{']);
        assert_eq!(
            parse_get_parameter(&non_utf8, &[]).unwrap_err().kind(),
            &ErrorKind::InvalidValue
        );
    }

    #[test]
    fn codes_are_redacted_of_credentials_too() {
        let r = reply(403, "<Error><Code>AccessTOKENVALUEDenied</Code></Error>");
        let e = parse_get_parameter(&r, &["TOKENVALUE"]).unwrap_err();
        assert!(!e.to_string().contains("TOKENVALUE"), "{e}");
    }

    #[test]
    fn aws_messages_are_redacted_of_credentials() {
        let r = reply(
            400,
            r#"{"__type":"UnrecognizedClientException","message":"token TOKENVALUE is invalid"}"#,
        );
        let e = parse_get_parameter(&r, &["TOKENVALUE"]).unwrap_err();
        assert!(!e.to_string().contains("TOKENVALUE"));
        assert!(e.to_string().contains("<redacted>"));
    }

    #[test]
    fn get_parameters_aligns_values_with_the_names_asked() {
        let endpoint = Endpoint::regional("ssm", "eu-west-1", true);
        let names: Vec<String> = ["/a", "/b", "/c:2"].iter().map(|s| s.to_string()).collect();
        let req = get_parameters_request(&endpoint, &names).unwrap();
        assert_eq!(req.headers()["x-amz-target"], "AmazonSSM.GetParameters");
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Names": ["/a", "/b", "/c:2"], "WithDecryption": true})
        );
        let r = reply(
            200,
            r#"{"Parameters": [{"Name": "/c", "Selector": ":2", "Value": "3"}, {"Name": "/a", "Value": "1"}], "InvalidParameters": ["/b"]}"#,
        );
        assert_eq!(
            parse_get_parameters(&r, &names, &[]).unwrap(),
            [Some("1".into()), None, Some("3".into())]
        );
        let r = reply(400, r#"{"__type": "ThrottlingException"}"#);
        assert!(matches!(
            parse_get_parameters(&r, &names, &[]).unwrap_err().kind(),
            ErrorKind::Throttled(_)
        ));
        assert_eq!(
            parse_get_parameters(&reply(200, "[1]"), &names, &[])
                .unwrap_err()
                .kind(),
            &ErrorKind::InvalidValue
        );
    }

    #[test]
    fn oversize_bodies_are_refused() {
        let big = format!(
            r#"{{"Parameter":{{"Value":"{}"}}}}"#,
            "x".repeat(MAX_RESPONSE_BYTES)
        );
        assert_eq!(
            parse_get_parameter(&reply(200, &big), &[])
                .unwrap_err()
                .kind(),
            &ErrorKind::Transport
        );
    }
}
