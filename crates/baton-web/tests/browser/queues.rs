use crate::harness::journey;
use baton_core::domain::Role;

/// A manager tries an inquiry in the test box, sees where it would go and
/// why, then puts a hunter in that queue and marks them away.
#[tokio::test]
async fn a_manager_tests_an_inquiry_then_staffs_the_queue_it_would_reach() {
    journey("queue_tested_and_staffed", |page| async move {
        page.add_person("mia@acme.test", "Mia Manager", Role::Manager)
            .await;
        page.add_person("hal@acme.test", "Hal Hunter", Role::Hunter)
            .await;

        page.sign_in("mia@acme.test").await?;
        page.follow("Queues").await?;
        page.expect_heading("Queues and routing").await?;
        page.fill("email", "buyer@umbrella.test").await?;
        page.fill(
            "message",
            "Attached is our RFP; the submission deadline is Friday",
        )
        .await?;
        page.press("See what would happen", None).await?;
        page.expect_heading("Queues and routing").await?;
        let verdict = page.text().await?;
        assert!(
            verdict.contains("What would happen")
                && verdict.contains("Requests for proposal go to hunters"),
            "{verdict}"
        );
        assert_eq!(
            page.db.inquiries(None, 0, 10).await?.len(),
            0,
            "nothing stored"
        );

        page.follow("Hunters (new business)").await?;
        page.expect_heading("Hunters (new business)").await?;
        page.fill("email", "hal@acme.test").await?;
        page.press("Add to the queue", None).await?;
        page.expect_heading("Hunters (new business)").await?;
        page.press("Mark Hal Hunter away", None).await?;
        page.expect_heading("Hunters (new business)").await?;
        assert!(page.text().await?.contains("Mark Hal Hunter back"));
        Ok(())
    })
    .await;
}
