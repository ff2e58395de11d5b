use crate::harness::journey;
use baton_core::domain::{InquiryStatus, Role};

#[tokio::test]
async fn a_spam_submission_lands_in_moderation_and_a_qualifier_releases_it() {
    journey("spam_moderated_and_released", |page| async move {
        page.add_person("quinn@acme.test", "Quinn Qualifier", Role::Qualifier)
            .await;

        page.open("/f/contact").await?;
        page.fill("name", "Deal Seeker").await?;
        page.fill("email", "deals@mailinator.com").await?;
        page.fill("message", "SEO http://a.biz http://b.biz http://c.biz")
            .await?;
        page.press("Send", None).await?;
        page.expect_heading("Thank you").await?;

        page.sign_in("quinn@acme.test").await?;
        page.follow("Moderation").await?;
        page.expect_heading("Moderation").await?;
        let held = page.text().await?;
        assert!(held.contains("throw-away mailboxes"), "{held}");
        let (summary,) = page
            .db
            .inquiries(Some(InquiryStatus::Quarantined), 0, 10)
            .await?
            .into_iter()
            .map(|s| (s.id,))
            .next()
            .expect("the submission is held");
        page.press("Release", Some(&format!("Inquiry {summary}")))
            .await?;
        page.expect_heading("Moderation").await?;
        assert!(page.text().await?.contains("No inquiry is waiting"));
        assert_eq!(
            page.db.inquiry(summary).await?.status,
            InquiryStatus::Processed
        );
        Ok(())
    })
    .await;
}
