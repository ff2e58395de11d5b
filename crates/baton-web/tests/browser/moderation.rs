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

#[tokio::test]
async fn a_qualifier_ticks_every_held_inquiry_and_confirms_them_at_once() {
    journey("spam_confirmed_in_bulk", |page| async move {
        page.add_person("quinn@acme.test", "Quinn Qualifier", Role::Qualifier)
            .await;
        for n in 1..=2 {
            page.open("/f/contact").await?;
            page.fill("email", &format!("deals{n}@mailinator.com"))
                .await?;
            page.fill(
                "message",
                &format!("SEO {n} http://a.biz http://b.biz http://c.biz"),
            )
            .await?;
            page.press("Send", None).await?;
            page.expect_heading("Thank you").await?;
        }

        page.sign_in("quinn@acme.test").await?;
        page.follow("Moderation").await?;
        page.follow("Tick all 2 on this page").await?;
        page.press("Confirm ticked as spam", None).await?;
        page.expect_heading("Moderation").await?;
        let text = page.text().await?;
        assert!(text.contains("Confirmed 2 inquiries as spam."), "{text}");
        assert!(text.contains("No inquiry is waiting"), "{text}");
        let spam = page.db.inquiries(Some(InquiryStatus::Spam), 0, 10).await?;
        assert_eq!(spam.len(), 2);
        Ok(())
    })
    .await;
}
