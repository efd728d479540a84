//! The page templates (minijinja; `.html` auto-escaped as `text::esc` escapes), compiled into
//! the binary: a page passes its figures and words, the template says how they are laid
//! out. It depends on nothing of the web layer, so any module may render.

/// The templates by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("admin.html", include_str!("../templates/admin.html")),
    ("approval.html", include_str!("../templates/approval.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("budget_year.html", include_str!("../templates/budget_year.html")),
    ("cockpit.html", include_str!("../templates/cockpit.html")),
    ("feedback.html", include_str!("../templates/feedback.html")),
    ("figures.html", include_str!("../templates/figures.html")),
    ("forecast.html", include_str!("../templates/forecast.html")),
    ("import.html", include_str!("../templates/import.html")),
    ("inbox.html", include_str!("../templates/inbox.html")),
    ("indicator.html", include_str!("../templates/indicator.html")),
    ("layout.html", include_str!("../templates/layout.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("org.html", include_str!("../templates/org.html")),
    ("outcome.html", include_str!("../templates/outcome.html")),
    ("performance.html", include_str!("../templates/performance.html")),
    ("portal.html", include_str!("../templates/portal.html")),
    ("problem.html", include_str!("../templates/problem.html")),
    ("projects.html", include_str!("../templates/projects.html")),
    ("register.html", include_str!("../templates/register.html")),
    ("risk.html", include_str!("../templates/risk.html")),
    ("risks.html", include_str!("../templates/risks.html")),
    ("informal.html", include_str!("../templates/informal.html")),
    ("meetings.html", include_str!("../templates/meetings.html")),
    ("meeting.html", include_str!("../templates/meeting.html")),
    ("actions.html", include_str!("../templates/actions.html")),
    ("contract.html", include_str!("../templates/contract.html")),
    ("reviews.html", include_str!("../templates/reviews.html")),
    ("review.html", include_str!("../templates/review.html")),
    ("cases.html", include_str!("../templates/cases.html")),
    ("matters.html", include_str!("../templates/matters.html")),
    ("simulation.html", include_str!("../templates/simulation.html")),
    ("voucher.html", include_str!("../templates/voucher.html")),
    ("warning.html", include_str!("../templates/warning.html")),
];

fn templates() -> &'static minijinja::Environment<'static> {
    static ENV: std::sync::OnceLock<minijinja::Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        // Escaped as every other page text is (`esc`: & < > " '), so that links keep their
        // slashes as written.
        env.set_formatter(|out, state, value| {
            if value.is_safe() || value.is_undefined() {
                minijinja::escape_formatter(out, state, value)
            } else {
                out.write_str(&crate::text::esc(&value.to_string())).map_err(minijinja::Error::from)
            }
        });
        for &(name, text) in TEMPLATES {
            // A template that does not parse is caught by the tests; here it renders as the
            // error below.
            if let Err(e) = env.add_template(name, text) {
                eprintln!("error: template {name}: {e}");
            }
        }
        env
    })
}

/// Template `name` rendered with `ctx`; a failure is logged and shown as a short notice.
pub(crate) fn render(name: &str, ctx: minijinja::Value) -> String {
    match templates().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => html,
        Err(e) => {
            eprintln!("error: rendering {name}: {e:#}");
            "<!doctype html><p>页面暂时无法显示（模板错误）。The page cannot be shown (template error).</p>".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_escapes_what_it_is_given() {
        for &(name, _) in TEMPLATES {
            assert!(templates().get_template(name).is_ok(), "{name}");
        }
        let html = render(
            "problem.html",
            minijinja::context! { status => 403, detail => "<script>", login_href => None::<String>, login => "x" },
        );
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
    }
}
