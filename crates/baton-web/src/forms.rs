//! The hosted public form `/f/{slug}`: a page that works without JavaScript,
//! a honeypot, a per-address rate limit, a thank-you page and the snippet to
//! embed the form elsewhere.

use crate::AppState;
use crate::error::ApiError;
use crate::limits::Client;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use baton_core::domain::Channel;
use baton_core::inquiry::{FieldError, Inquiry};
use baton_core::intake::{FormAttribution, HONEYPOT_FIELD, content_hash, decode_form};
use baton_db::forms::{FORM_ORIGIN, Form};
use baton_db::intake::RawInquiry;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/f/{slug}", get(show).post(submit))
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// (name, label, input type, autocomplete) of the visible fields.
const FIELDS: &[(&str, &str, &str, &str)] = &[
    ("name", "Your name", "text", "name"),
    ("email", "E-mail", "email", "email"),
    ("phone", "Phone", "tel", "tel"),
    ("company", "Company", "text", "organization"),
    ("title", "Job title", "text", "organization-title"),
];

/// The form's fields as HTML, with values kept and errors beside their field.
pub fn form_fields(values: &HashMap<String, String>, errors: &[FieldError]) -> String {
    let mut html = String::new();
    let value = |name: &str| escape(values.get(name).map(String::as_str).unwrap_or_default());
    let error = |name: &str| {
        errors
            .iter()
            .filter(|e| e.field == name)
            .map(|e| {
                format!(
                    "<p class=\"error\" id=\"{name}-error\">{}</p>",
                    escape(&e.problem)
                )
            })
            .collect::<String>()
    };
    for (name, label, kind, autocomplete) in FIELDS {
        let described = if errors.iter().any(|e| e.field == *name) {
            format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\"")
        } else {
            String::new()
        };
        html.push_str(&format!(
            "<p><label for=\"{name}\">{label}</label>\n<input id=\"{name}\" name=\"{name}\" type=\"{kind}\" \
             autocomplete=\"{autocomplete}\" value=\"{}\"{described}></p>{}\n",
            value(name),
            error(name)
        ));
    }
    html.push_str(&format!(
        "<p><label for=\"message\">How can we help?</label>\n<textarea id=\"message\" name=\"message\" rows=\"6\">{}</textarea></p>{}\n",
        value("message"),
        error("message")
    ));
    // Hidden from people (and from screen readers); bots fill it in.
    html.push_str(&format!(
        "<p class=\"hp\" aria-hidden=\"true\"><label for=\"{HONEYPOT_FIELD}\">Leave this empty</label>\
         <input id=\"{HONEYPOT_FIELD}\" name=\"{HONEYPOT_FIELD}\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></p>\n"
    ));
    html
}

/// A standalone page for visitors: `body` is trusted HTML, `title` is escaped.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>\
         body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}}\
         label{{display:block;font-weight:600}}input,textarea{{width:100%;padding:.5rem;font:inherit;border:1px solid #6b7280;border-radius:4px;box-sizing:border-box}}\
         input:focus,textarea:focus,button:focus{{outline:3px solid #2563eb;outline-offset:1px}}\
         button{{padding:.6rem 1.2rem;font:inherit;background:#1d4ed8;color:#fff;border:0;border-radius:4px}}\
         .error{{color:#b91c1c;margin:.25rem 0 0}}.hp{{position:absolute;left:-10000px}}\
         </style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn render_form(form: &Form, values: &HashMap<String, String>, errors: &[FieldError]) -> String {
    // Problems of fields the page has no input for (extra fields sent by an
    // embedding page, say) are said at the top, since nothing is marked.
    let (marked, elsewhere): (Vec<&FieldError>, Vec<&FieldError>) = errors
        .iter()
        .partition(|e| e.field == "message" || FIELDS.iter().any(|(name, ..)| *name == e.field));
    let mut summary = match (marked.is_empty(), elsewhere.is_empty()) {
        (true, true) => String::new(),
        (false, _) => {
            "<p class=\"error\" role=\"alert\">Please correct the fields marked below.</p>"
                .to_string()
        }
        (true, false) => {
            "<p class=\"error\" role=\"alert\">The form could not be sent:</p>".to_string()
        }
    };
    for error in elsewhere {
        summary.push_str(&format!(
            "<p class=\"error\">{}</p>",
            escape(&error.to_string())
        ));
    }
    page(
        &form.name,
        &format!(
            "<h1>{}</h1>{summary}<form method=\"post\" action=\"/f/{}\">\n{}<button type=\"submit\">Send</button></form>",
            escape(&form.name),
            escape(&form.slug),
            form_fields(values, errors)
        ),
    )
}

/// The snippet that embeds a form on another site: a plain HTML form that
/// posts to this server, so it needs no script.
pub fn embed_snippet(form: &Form, base_url: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}/f/{}\" accept-charset=\"utf-8\">\n{}<button type=\"submit\">Send</button>\n</form>\n\
         <style>.hp{{position:absolute;left:-10000px}}</style>\n",
        escape(base_url.trim_end_matches('/')),
        escape(&form.slug),
        form_fields(&HashMap::new(), &[])
    )
}

async fn active_form(state: &AppState, slug: &str) -> Result<Form, Response> {
    match state.db.form(slug).await {
        Ok(form) if form.active => Ok(form),
        Ok(_) | Err(baton_db::DbError::NotFound(_)) => Err((
            StatusCode::NOT_FOUND,
            Html(page(
                "Form not found",
                "<h1>Form not found</h1><p>This form does not exist or was closed.</p>",
            )),
        )
            .into_response()),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

async fn show(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    match active_form(&state, &slug).await {
        Ok(form) => Html(render_form(&form, &HashMap::new(), &[])).into_response(),
        Err(response) => response,
    }
}

async fn submit(
    State(state): State<AppState>,
    client: Client,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let form = match active_form(&state, &slug).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if let Err(wait) = state.form_limiter.check(&client) {
        let response = (
            StatusCode::TOO_MANY_REQUESTS,
            Html(page(
                "Too many submissions",
                &format!("<h1>Too many submissions</h1><p>Please try again in {wait} seconds.</p>"),
            )),
        )
            .into_response();
        return crate::error::retry_after(response, wait);
    }
    // A page embedding the form with another `enctype` (multipart for a
    // file field, text/plain) would be read as empty fields and told its
    // e-mail is missing; say what is wrong instead.
    let media_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if let Some(other) = media_type.filter(|t| t != "application/x-www-form-urlencoded") {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Html(page(
                "Form not sent",
                &format!(
                    "<h1>The form was not sent</h1><p>This form takes \
                     <code>application/x-www-form-urlencoded</code>, a form's default; the \
                     page that sent it used <code>{}</code>. Remove the <code>enctype</code> \
                     from the form that embeds it.</p>",
                    escape(&other)
                ),
            )),
        )
            .into_response();
    }
    // Percent-escapes that are not UTF-8 decode to U+FFFD, which a browser
    // sending UTF-8 never writes itself.
    let escapes_not_utf8 = form_urlencoded::parse(&body).any(|(key, value)| {
        key.contains(char::REPLACEMENT_CHARACTER) || value.contains(char::REPLACEMENT_CHARACTER)
    });
    if std::str::from_utf8(&body).is_err() || escapes_not_utf8 {
        return (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Bad request",
                "<h1>The form data is not valid UTF-8</h1>",
            )),
        )
            .into_response();
    }
    let mut input = decode_form(&body).input;
    FormAttribution {
        campaign: form.campaign.clone(),
        source: form.source.clone(),
    }
    .apply(&mut input);
    let inquiry = match Inquiry::parse(&input) {
        Ok(inquiry) => inquiry,
        Err(errors) => {
            let values: HashMap<String, String> =
                form_urlencoded::parse(&body).into_owned().collect();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(render_form(&form, &values, &errors)),
            )
                .into_response();
        }
    };
    let raw = RawInquiry {
        channel: Channel::Form,
        origin: format!("{FORM_ORIGIN}{}", form.slug),
        raw: body.to_vec(),
        idempotency_key: None,
        content_hash: content_hash(&inquiry),
    };
    // Bots that filled the honeypot see the same thank-you page: the
    // inquiry is kept in quarantine, and they learn nothing.
    match state.intake.submit(raw).await {
        Ok(_) => Html(page(
            "Thank you",
            &format!("<h1>Thank you</h1><p>{}</p>", escape(&form.thank_you)),
        ))
        .into_response(),
        Err(e) => ApiError::Internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_in_values_and_errors() {
        let values = HashMap::from([("name".to_string(), "<script>\"x\"</script>".to_string())]);
        let errors = vec![FieldError::new("email", "`<b>` is not an e-mail address")];
        let html = form_fields(&values, &errors);
        assert!(html.contains("value=\"&lt;script&gt;&quot;x&quot;&lt;/script&gt;\""));
        assert!(html.contains("`&lt;b&gt;` is not"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("aria-describedby=\"email-error\""));
    }
}
