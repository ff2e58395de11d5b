use crate::harness::{PASSWORD, journey};
use baton_core::domain::Role;

/// From a new installation to revenue on the dashboard: the owner publishes
/// a form, a visitor fills it in, a qualifier accepts the lead and hands it
/// to a hunter, who logs a call, opens a deal and wins it.
#[tokio::test]
async fn a_form_submission_becomes_revenue_on_the_dashboard() {
    journey("form_to_revenue", |page| async move {
        page.open("/").await?;
        page.expect_heading("Set up Baton").await?;
        page.fill("name", "Olive Owner").await?;
        page.fill("email", "olive@acme.test").await?;
        page.fill("password", PASSWORD).await?;
        page.press("Create the owner", None).await?;
        page.expect_heading("My work").await?;

        page.follow("Forms").await?;
        page.expect_heading("Forms").await?;
        page.fill("name", "Spring demo").await?;
        page.fill("slug", "spring-demo").await?;
        page.press("Publish the form", None).await?;
        page.expect_heading("Forms").await?;
        assert!(page.text().await?.contains("/f/spring-demo"));
        page.sign_out().await?;

        let quinn = page
            .add_person("quinn@acme.test", "Quinn Qualifier", Role::Qualifier)
            .await;
        page.join("qualification", quinn).await?;
        let hal = page
            .add_person("hal@acme.test", "Hal Hunter", Role::Hunter)
            .await;
        page.join("hunters", hal).await?;

        page.open("/f/spring-demo").await?;
        page.expect_heading("Spring demo").await?;
        page.fill("name", "Dana Reyes").await?;
        page.fill("email", "dana@initech.test").await?;
        page.fill("phone", "+1 415 555 0100").await?;
        page.fill("company", "Initech").await?;
        page.fill("title", "VP Operations").await?;
        page.fill(
            "message",
            "We are evaluating tools for our sales team and would like pricing and a demo \
             next week; we have budget approved for this quarter.",
        )
        .await?;
        page.press("Send", None).await?;
        page.expect_heading("Thank you").await?;

        page.sign_in("quinn@acme.test").await?;
        page.open_until("/work", "qualification").await?;
        page.press("Accept", Some("qualification")).await?;
        page.expect_heading("My work").await?;
        let lead_link = page
            .browser
            .find(fantoccini::Locator::XPath("//a[starts-with(., 'Lead ')]"))
            .await?
            .text()
            .await?;
        page.follow(&lead_link).await?;
        page.expect_heading(&lead_link).await?;
        page.choose("assignee_id", "Hal Hunter (hunter)").await?;
        page.fill("reason", "Budget and timeline confirmed").await?;
        page.press("Reassign", None).await?;
        page.expect_heading("My work").await?;
        assert!(page.text().await?.contains("Nothing is waiting for you"));
        page.sign_out().await?;

        page.sign_in("hal@acme.test").await?;
        assert!(page.text().await?.contains(&lead_link));
        page.press("Accept", Some(&lead_link)).await?;
        page.expect_heading("My work").await?;
        page.follow(&lead_link).await?;
        page.expect_heading(&lead_link).await?;
        page.choose("type", "Calls (hunting)").await?;
        page.fill("outcome", "Demo booked for Tuesday").await?;
        page.press("Log it", None).await?;
        page.expect_heading(&lead_link).await?;
        assert!(page.text().await?.contains("Demo booked for Tuesday"));

        page.fill("name", "Initech sales seats").await?;
        page.fill("amount", "18000").await?;
        page.press("Open the opportunity", None).await?;
        page.expect_heading("Initech sales seats").await?;
        page.press("Mark won", None).await?;
        page.expect_heading("Initech sales seats").await?;
        assert!(page.text().await?.contains("A closed deal does not change"));
        page.sign_out().await?;

        page.sign_in("olive@acme.test").await?;
        page.follow("Dashboard").await?;
        page.expect_heading("Dashboard").await?;
        let dashboard = page.text().await?;
        assert!(dashboard.contains("18000.00"), "{dashboard}");
        Ok(())
    })
    .await;
}
