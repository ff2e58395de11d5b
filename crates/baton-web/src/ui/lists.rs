//! What every list page shares: the search, filters, sort and page read
//! from the address; links that keep them; the table with sortable headers
//! and numbered pages (`list.html`, whose `list_*_partial.html` parts also
//! serve pages with controls on each row); and the CSV export of the same
//! list.

use super::{Chrome, Field, Viewer, failure, place_errors, refusal, render};
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use baton_core::domain::Grade;
use baton_core::export::csv_record;
use baton_core::inquiry::FieldError;
use baton_db::DbError;
use baton_db::listing::{Direction, SortColumn, Window};
use std::fmt::Display;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

/// The page sizes offered; the first is the default.
const PAGE_SIZES: &[i64] = &[50, 25, 100];

/// The parameters of a list's address, as sent, kept to build its links.
pub struct ListRequest {
    pairs: Vec<(String, String)>,
    /// Filters that do not read, with why: the list is shown without them
    /// and the problem beside each one's field.
    /// A lock rather than a cell: pages hold the request across awaits.
    problems: Mutex<Vec<(String, String)>>,
}

impl ListRequest {
    pub fn parse(raw: Option<&str>) -> ListRequest {
        ListRequest {
            pairs: form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            problems: Mutex::new(Vec::new()),
        }
    }

    fn problems(&self) -> MutexGuard<'_, Vec<(String, String)>> {
        self.problems.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes that the filter `name` does not read, and leaves it out.
    fn refuse<T>(&self, name: &str, problem: String) -> Option<T> {
        let mut problems = self.problems();
        if !problems.iter().any(|(noted, _)| noted == name) {
            problems.push((name.to_string(), problem));
        }
        None
    }

    /// 422 when a filter did not read, so the page says so to programs too.
    pub fn status(&self) -> StatusCode {
        if self.problems().is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    /// The first filter that did not read, as a storage refusal.
    pub fn problem(&self) -> Option<DbError> {
        self.problems()
            .first()
            .map(|(name, problem)| DbError::invalid(name, problem))
    }

    /// A parameter, trimmed; empty when absent, and when given twice with
    /// different values (which of them was meant cannot be known).
    pub fn get(&self, name: &str) -> &str {
        let mut values = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim());
        let first = values.next().unwrap_or_default();
        if values.any(|other| other != first) {
            return self
                .refuse(
                    name,
                    "is given more than once, with different values".into(),
                )
                .unwrap_or_default();
        }
        first
    }

    /// The search words.
    pub fn search(&self) -> String {
        self.get("q").to_string()
    }

    /// A value of a closed set, such as a tier; empty, or a value that
    /// does not read, means any.
    pub fn one_of<T>(&self, name: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name) {
            "" => None,
            raw => raw
                .parse()
                .map_or_else(|e: T::Err| self.refuse(name, e.to_string()), Some),
        }
    }

    /// An id; empty, or one that does not read, means any.
    pub fn id(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            "" => None,
            raw => raw
                .parse()
                .map_or_else(|_| self.refuse(name, format!("`{raw}` is not an id")), Some),
        }
    }

    /// A day, `YYYY-MM-DD`; empty, or one that does not read, means any.
    pub fn day(&self, name: &str) -> Option<jiff::civil::Date> {
        match self.get(name) {
            "" => None,
            raw => {
                baton_core::calendar::parse_date(raw).map_or_else(|e| self.refuse(name, e), Some)
            }
        }
    }

    /// The days `from` and `to` as [`ListRequest::day`] reads them; a `to`
    /// before `from` would match nothing, so it is refused and left out.
    pub fn days(
        &self,
        from: &str,
        to: &str,
    ) -> (Option<jiff::civil::Date>, Option<jiff::civil::Date>) {
        let (first, last) = (self.day(from), self.day(to));
        match (first, last) {
            (Some(first), Some(last)) if last < first => (
                Some(first),
                self.refuse(
                    to,
                    format!("{last} is before the day in `{from}` ({first})"),
                ),
            ),
            _ => (first, last),
        }
    }

    /// A count, such as one a redirect reports; `None` when absent or not one.
    pub fn count(&self, name: &str) -> Option<usize> {
        self.get(name).parse().ok()
    }

    /// `yes` or `no`; empty, or anything else, means either.
    pub fn yes_no(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            raw => self.refuse(name, format!("`{raw}` is neither yes nor no")),
        }
    }

    fn page_size(&self) -> i64 {
        match self.get("per") {
            "" => PAGE_SIZES[0],
            raw => raw
                .parse()
                .ok()
                .filter(|size| PAGE_SIZES.contains(size))
                .or_else(|| {
                    let sizes: Vec<String> = PAGE_SIZES.iter().map(i64::to_string).collect();
                    self.refuse(
                        "per",
                        format!("`{raw}` is not one of: {}", sizes.join(", ")),
                    )
                })
                .unwrap_or(PAGE_SIZES[0]),
        }
    }

    fn page(&self) -> i64 {
        match self.get("page") {
            "" => 1,
            raw => raw
                .parse()
                .ok()
                .filter(|page| *page >= 1)
                .or_else(|| self.refuse("page", format!("`{raw}` is not a page number")))
                .unwrap_or(1),
        }
    }

    /// The column the list is sorted by, and which way.
    fn sort<S: SortColumn>(&self) -> (S, Direction) {
        let sort = match self.get("sort") {
            "" => S::ALL[0],
            raw => S::ALL
                .iter()
                .copied()
                .find(|column| column.key() == raw)
                .or_else(|| {
                    let keys: Vec<&str> = S::ALL.iter().map(|column| column.key()).collect();
                    self.refuse(
                        "sort",
                        format!("`{raw}` is not one of: {}", keys.join(", ")),
                    )
                })
                .unwrap_or(S::ALL[0]),
        };
        let direction = match self.get("dir") {
            "" => S::DIRECTION,
            raw @ ("asc" | "desc") => Direction::parse(raw, S::DIRECTION),
            raw => self
                .refuse("dir", format!("`{raw}` is neither asc nor desc"))
                .unwrap_or(S::DIRECTION),
        };
        (sort, direction)
    }

    /// The rows to read: one page, or every row for an export.
    pub fn window<S: SortColumn>(&self, output: Output) -> Window<S> {
        let size = self.page_size();
        let (sort, direction) = self.sort();
        Window {
            sort,
            direction,
            offset: match output {
                Output::Page => (self.page() - 1).saturating_mul(size),
                Output::Csv => 0,
            },
            limit: match output {
                Output::Page => Some(size),
                Output::Csv => None,
            },
        }
    }

    /// True when anything narrows the list.
    pub fn narrowed(&self, filters: &[Field]) -> bool {
        !self.search().is_empty() || filters.iter().any(|f| !f.value.is_empty())
    }

    /// This list's parameters with `changes` made to them, as a query
    /// string; an empty value removes the parameter.
    pub fn query(&self, changes: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.pairs {
            if !value.is_empty() && !changes.iter().any(|(changed, _)| changed == name) {
                query.append_pair(name, value);
            }
        }
        for (name, value) in changes {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }

    /// `path` with this list's parameters and `changes` made to them.
    pub fn link(&self, path: &str, changes: &[(&str, &str)]) -> String {
        let query = self.query(changes);
        if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        }
    }
}

/// Where a form sent from a list returns: the list at `path` with the
/// parameters its hidden `back` field kept (see [`ListRequest::query`]) and
/// `changes`. Always an address on this site, whatever `back` holds.
pub fn back_to(path: &str, back: &str, changes: &[(&str, &str)]) -> String {
    ListRequest::parse(Some(back)).link(path, changes)
}

/// A list as a page of HTML or as the whole list in CSV: `/accounts` or
/// `/accounts.csv`, served by the same handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Page,
    Csv,
}

impl<S: Send + Sync> FromRequestParts<S> for Output {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(if parts.uri.path().ends_with(".csv") {
            Output::Csv
        } else {
            Output::Page
        })
    }
}

/// A column of a list: its heading and, when it sorts, its sort key.
pub struct Column {
    pub label: &'static str,
    pub sort: Option<&'static str>,
    /// What the page shows together and the CSV gives in two columns, so
    /// that a spreadsheet reads the first as a number.
    pub pair: Option<Pair>,
}

/// Two values a page shows in one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// A sum of money and its currency ([`Cell::amount`]).
    AmountAndCurrency,
    /// A lead's score and its grade ([`Cell::score`]).
    ScoreAndGrade,
}

impl Column {
    pub const fn sorted(label: &'static str, key: &'static str) -> Column {
        Column {
            label,
            sort: Some(key),
            pair: None,
        }
    }

    pub const fn unsorted(label: &'static str) -> Column {
        Column {
            label,
            sort: None,
            pair: None,
        }
    }

    /// The column, of sums of money ([`Cell::amount`]).
    pub const fn of_amounts(self) -> Column {
        Column {
            pair: Some(Pair::AmountAndCurrency),
            ..self
        }
    }

    /// The column, of scores with their grades ([`Cell::score`]).
    pub const fn of_scores(self) -> Column {
        Column {
            pair: Some(Pair::ScoreAndGrade),
            ..self
        }
    }

    /// The CSV's headings for the column.
    fn csv_headings(&self) -> Vec<String> {
        let mut headings = vec![self.label.to_string()];
        match self.pair {
            Some(Pair::AmountAndCurrency) => headings.push(format!("{} currency", self.label)),
            Some(Pair::ScoreAndGrade) => headings.push("Grade".to_string()),
            None => {}
        }
        headings
    }
}

/// One value of a row, linked when it names something with a page.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// A class that sets the cell apart on the page, such as `overdue`.
    pub class: Option<&'static str>,
    /// The two values of a [`Pair`] as the CSV gives them, such as a sum's
    /// number and currency.
    pair: Option<(String, String)>,
    /// The CSV's plain value when the page words it, such as a share
    /// shown as a percentage and exported as a fraction.
    plain: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: None,
            class: None,
            pair: None,
            plain: None,
        }
    }

    pub fn link(text: impl Into<String>, href: String) -> Cell {
        Cell {
            href: Some(href),
            ..Cell::text(text)
        }
    }

    /// A sum in minor units: `15000.00 USD` on the page, `15000.00` and
    /// `USD` in the CSV.
    pub fn amount(minor: i64, currency: &str) -> Cell {
        let number = super::plain_amount(minor, currency);
        let shown = format!("{number} {currency}");
        Cell {
            pair: Some((number, currency.to_string())),
            ..Cell::text(shown)
        }
    }

    /// A lead's score with its grade: `72 (B)` on the page, `72` and `B` in
    /// the CSV.
    pub fn score(score: impl std::fmt::Display, grade: Grade) -> Cell {
        Cell {
            pair: Some((score.to_string(), grade.as_str().to_uppercase())),
            ..Cell::text(super::score_and_grade(score, grade))
        }
    }

    /// `part` of `whole` as a share: `33%` on the page, `0.3333` in the CSV,
    /// as every exported share; nothing of nothing is none.
    pub fn share(part: i64, whole: i64) -> Cell {
        let share = (whole > 0).then(|| part as f64 / whole as f64);
        Cell {
            plain: Some(share.map_or(String::new(), |s| format!("{s:.4}"))),
            ..Cell::text(super::percent(share))
        }
    }

    /// The CSV's values for the cell under `column`.
    fn csv_values<'a>(&'a self, column: &Column) -> Vec<&'a str> {
        let text = self.plain.as_deref().unwrap_or(&self.text);
        match (&self.pair, column.pair) {
            (Some((first, second)), Some(_)) => vec![first, second],
            (None, Some(_)) => vec![text, ""],
            (_, None) => vec![text],
        }
    }

    /// The cell with `class` on the page when `when` holds.
    pub fn marked_if(self, when: bool, class: &'static str) -> Cell {
        Cell {
            class: when.then_some(class),
            ..self
        }
    }
}

/// What a list page says about itself.
pub struct ListSpec {
    pub title: &'static str,
    /// The page's address; the export is at `{path}.csv`.
    pub path: &'static str,
    pub columns: &'static [Column],
    /// What the search looks in.
    pub search_label: &'static str,
    /// What to do when there is nothing to list at all.
    pub empty: &'static str,
    /// A line under the heading, such as whose deals are counted.
    pub note: Option<String>,
    /// Other views of the same list: (address, label).
    pub views: Vec<(String, &'static str)>,
}

/// A list's rows, and how many the whole filtered list holds.
pub struct Rows {
    pub rows: Vec<Vec<Cell>>,
    pub total: i64,
}

/// A column's heading: a link that sorts by it, when it sorts.
pub struct Header {
    pub label: &'static str,
    pub href: Option<String>,
    /// `aria-sort` of the sorted column.
    pub aria_sort: Option<&'static str>,
    /// The arrow beside the sorted column's heading.
    pub arrow: &'static str,
}

/// The form above a list or board (`filters_partial.html`): the search,
/// the filters, and hidden values it keeps, such as the sort.
pub struct FilterForm {
    pub action: &'static str,
    pub search_label: &'static str,
    pub search: String,
    pub fields: Vec<Field>,
    pub kept: Vec<(&'static str, String)>,
}

/// Everything a list page shows around its rows: the filter form, the
/// sortable headings, the pages, the export link and what to say when
/// nothing is listed. Pages whose rows carry their own controls embed it
/// with the `list_*_partial.html` templates.
pub struct ListView {
    pub spec: ListSpec,
    pub form: FilterForm,
    pub headers: Vec<Header>,
    pub pagination: Pagination,
    pub csv: String,
    pub narrowed: bool,
    /// Set when a parameter of the address did not read: the rows are not
    /// shown, since they would not be the ones asked for.
    pub refused: bool,
    /// The problems of parameters that have no field in the form, such as
    /// the sort or the page, as `name: problem`.
    pub unplaced: Vec<String>,
}

/// Where one page of a list stands in the whole (`pages_partial.html`):
/// the rows it shows, the pages, and links to the pages either side.
pub struct Pagination {
    pub total: i64,
    /// Numbers of the first and last rows shown, from 1.
    pub first: i64,
    pub last: i64,
    pub page: i64,
    pub pages: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The first page, when this one is past the end of the list.
    pub past_end: Option<String>,
}

impl Pagination {
    /// The whole list's rows, counted: `1 row`, `12 rows`.
    pub fn rows(&self) -> String {
        super::counted(self.total, "row", "rows")
    }

    /// The page `request` asks for at `path`, showing `shown` of `total`
    /// rows read from `offset`.
    pub fn new(
        request: &ListRequest,
        path: &str,
        offset: i64,
        shown: usize,
        total: i64,
    ) -> Pagination {
        let size = request.page_size();
        let page = request.page();
        let pages = ((total + size - 1) / size).max(1);
        let page_link = |n: i64| request.link(path, &[("page", &n.to_string())]);
        Pagination {
            total,
            first: offset + 1,
            last: offset + shown as i64,
            page,
            pages,
            previous: (page > 1).then(|| page_link(page - 1)),
            next: (page < pages).then(|| page_link(page + 1)),
            past_end: (total > 0 && shown == 0).then(|| page_link(1)),
        }
    }
}

impl ListView {
    /// The view of a page of `shown` rows out of `total`.
    pub fn new<S: SortColumn>(
        request: &ListRequest,
        spec: ListSpec,
        mut filters: Vec<Field>,
        window: &Window<S>,
        total: i64,
        shown: usize,
    ) -> ListView {
        let size = request.page_size();
        for filter in &mut filters {
            filter.id = format!("filter-{}", filter.name);
        }
        filters.push(
            Field::choice(
                "per",
                "Rows per page",
                PAGE_SIZES
                    .iter()
                    .map(|n| (n.to_string(), n.to_string()))
                    .collect(),
                &size.to_string(),
            )
            .optional(),
        );
        let headers = spec
            .columns
            .iter()
            .map(|column| {
                let sorted = column.sort == Some(window.sort.key());
                Header {
                    label: column.label,
                    href: column.sort.map(|key| {
                        let direction = if sorted {
                            window.direction.reversed()
                        } else {
                            Direction::Ascending
                        };
                        request.link(
                            spec.path,
                            &[("sort", key), ("dir", direction.as_str()), ("page", "")],
                        )
                    }),
                    aria_sort: sorted.then_some(match window.direction {
                        Direction::Ascending => "ascending",
                        Direction::Descending => "descending",
                    }),
                    arrow: match (sorted, window.direction) {
                        (false, _) => "",
                        (true, Direction::Ascending) => " ▲",
                        (true, Direction::Descending) => " ▼",
                    },
                }
            })
            .collect();
        let mut unplaced = Vec::new();
        for (name, problem) in request.problems().iter() {
            match filters.iter_mut().find(|f| f.name == name.as_str()) {
                Some(field) => field.error = Some(problem.clone()),
                None => unplaced.push(format!("{name}: {problem}")),
            }
        }
        ListView {
            refused: request.status() != StatusCode::OK,
            unplaced,
            narrowed: request.narrowed(&filters[..filters.len() - 1]),
            form: FilterForm {
                action: spec.path,
                search_label: spec.search_label,
                search: request.search(),
                fields: filters,
                kept: vec![
                    ("sort", window.sort.key().to_string()),
                    ("dir", window.direction.as_str().to_string()),
                ],
            },
            csv: request.link(&format!("{}.csv", spec.path), &[("page", "")]),
            pagination: Pagination::new(request, spec.path, window.offset, shown, total),
            spec,
            headers,
        }
    }

    /// True when there are rows to show on this page.
    pub fn shows_rows(&self) -> bool {
        !self.refused && self.pagination.total > 0 && self.pagination.past_end.is_none()
    }
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    title: String,
    chrome: Option<Chrome>,
    list: ListView,
    rows: Vec<Vec<Cell>>,
}

/// A list with a form under it to add a record of its kind, posted to the
/// list's own address.
#[derive(Template)]
#[template(path = "list_with_form.html")]
pub struct ListWithForm {
    pub title: String,
    pub chrome: Option<Chrome>,
    pub csrf: String,
    pub list: ListView,
    pub rows: Vec<Vec<Cell>>,
    /// The list's parameters, so a refused record shows the same list.
    pub back: String,
    /// What a record is called: "account", "campaign".
    pub record: &'static str,
    /// The new record's fields; empty for those who may not add one.
    pub fields: Vec<Field>,
}

impl ListWithForm {
    /// The page for `viewer`, the list as `request` narrows it; `fields`
    /// is `None` for someone who may not add a record, and each of the
    /// problems `refused` names is placed beside its field.
    pub fn new(
        viewer: &Viewer,
        request: &ListRequest,
        list: ListView,
        rows: Vec<Vec<Cell>>,
        record: &'static str,
        fields: Option<Vec<Field>>,
        refused: Option<Vec<FieldError>>,
    ) -> ListWithForm {
        let mut fields = fields.unwrap_or_default();
        if let Some(problems) = refused {
            place_errors(&mut fields, problems);
        }
        ListWithForm {
            title: list.spec.title.to_string(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            list,
            rows,
            back: request.query(&[]),
            record,
            fields,
        }
    }
}

/// The answer to a list's form for a new record: the record's page once
/// it is stored (`stored` holds its address), else the list again from
/// `shown`, with each problem beside its field: 409 for a conflict with a
/// stored record, 422 for any other refusal.
pub async fn answer_new_record(
    viewer: &Viewer,
    stored: baton_db::Result<String>,
    shown: impl AsyncFnOnce(Vec<FieldError>) -> Response,
) -> Response {
    let (status, problems) = match stored {
        Ok(address) => return Redirect::to(&address).into_response(),
        Err(e @ DbError::Conflict { .. }) => (StatusCode::CONFLICT, refusal(e)),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, refusal(e)),
    };
    match problems {
        Ok(problems) => {
            let mut page = shown(problems).await;
            *page.status_mut() = status;
            page
        }
        Err(e) => failure(Some(viewer), e),
    }
}

/// The list as `output` asks: a page with its filters, or a CSV download
/// of every row of the same filtered, sorted list.
pub fn respond<S: SortColumn>(
    viewer: &Viewer,
    request: &ListRequest,
    spec: ListSpec,
    filters: Vec<Field>,
    window: &Window<S>,
    rows: Rows,
    output: Output,
) -> Response {
    if output == Output::Csv {
        return csv(viewer, request, &spec, rows.rows);
    }
    render(
        request.status(),
        &ListPage {
            title: spec.title.to_string(),
            chrome: Some(Chrome::for_viewer(viewer)),
            list: ListView::new(request, spec, filters, window, rows.total, rows.rows.len()),
            rows: rows.rows,
        },
    )
}

/// A CSV file of the rows under the list's headings, offered for download;
/// refused when a filter did not read, since the rows would not be those
/// asked for.
pub fn csv(
    viewer: &Viewer,
    request: &ListRequest,
    spec: &ListSpec,
    rows: Vec<Vec<Cell>>,
) -> Response {
    if let Some(problem) = request.problem() {
        return super::failure(Some(viewer), problem);
    }
    let headings: Vec<String> = spec.columns.iter().flat_map(Column::csv_headings).collect();
    let mut body = csv_line(headings.iter().map(String::as_str));
    for row in &rows {
        body.push_str(&csv_line(
            row.iter()
                .zip(spec.columns)
                .flat_map(|(cell, column)| cell.csv_values(column)),
        ));
    }
    // The last part of the address: `/settings/people` downloads `people.csv`.
    let name = spec.path.rsplit('/').next().unwrap_or_default();
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// One CSV record (RFC 4180), ended by CRLF.
fn csv_line<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut line = csv_record(&values.collect::<Vec<_>>());
    line.push_str("\r\n");
    line
}

/// A short table on a record's page (`table_partial.html`), with a link to
/// the full list when it holds more.
pub struct Table {
    pub title: &'static str,
    pub heads: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// (address, label) of the full list.
    pub more: Option<(String, String)>,
    /// What an empty table says.
    pub empty: &'static str,
}

/// The "any" choice and `options` for a filter.
pub fn choices<'a>(any: &str, options: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    std::iter::once((String::new(), any.to_string()))
        .chain(options.into_iter().map(|o| (o.to_string(), o.to_string())))
        .collect()
}

/// An optional filter read by [`ListRequest::yes_no`]: `any`, or `yes` and
/// `no` under the names the page gives them.
pub fn yes_no_filter(
    request: &ListRequest,
    name: &'static str,
    label: &'static str,
    [any, yes, no]: [&str; 3],
) -> Field {
    Field::choice(
        name,
        label,
        vec![
            (String::new(), any.to_string()),
            ("yes".to_string(), yes.to_string()),
            ("no".to_string(), no.to_string()),
        ],
        request.get(name),
    )
    .optional()
}

/// Fails when a column's sort key is not one of the list's sorts.
#[cfg(test)]
pub fn assert_sorts_known<S: SortColumn>(columns: &[Column]) {
    for key in columns.iter().filter_map(|c| c.sort) {
        assert_eq!(S::parse(key).key(), key, "no sort `{key}`");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_end_with_crlf() {
        assert_eq!(
            csv_line(["a", "b,c"].into_iter()),
            "a,\"b,c\"\r\n".to_string()
        );
    }

    #[test]
    fn amounts_are_numbers_in_the_csv_with_their_currency_beside() {
        let column = Column::sorted("Amount", "amount").of_amounts();
        assert_eq!(column.csv_headings(), ["Amount", "Amount currency"]);
        let cell = Cell::amount(1_500_050, "USD");
        assert_eq!(cell.text, "15000.50 USD");
        assert_eq!(cell.csv_values(&column), ["15000.50", "USD"]);
        let yen = Cell::amount(1500, "JPY");
        assert_eq!(yen.csv_values(&column), ["1500", "JPY"]);
        let text = Column::unsorted("Stage");
        assert_eq!(Cell::text("won").csv_values(&text), ["won"]);
    }

    #[test]
    fn scores_are_numbers_in_the_csv_with_their_grade_beside() {
        let column = Column::sorted("Score", "score").of_scores();
        assert_eq!(column.csv_headings(), ["Score", "Grade"]);
        let cell = Cell::score(72, Grade::B);
        assert_eq!(cell.text, "72 (B)");
        assert_eq!(cell.csv_values(&column), ["72", "B"]);
    }

    #[test]
    fn links_keep_the_list_and_change_what_they_say() {
        let request = ListRequest::parse(Some("tier=a&q=acme+co&page=3&sort=name"));
        assert_eq!(
            request.link("/accounts", &[("sort", "tier"), ("page", "")]),
            "/accounts?tier=a&q=acme+co&sort=tier"
        );
        assert_eq!(request.get("q"), "acme co");
        assert_eq!(ListRequest::parse(None).link("/accounts", &[]), "/accounts");
    }

    #[test]
    fn pages_are_clamped_and_sizes_offered_only() {
        let request = ListRequest::parse(Some("page=-4&per=7"));
        assert_eq!((request.page(), request.page_size()), (1, 50));
        let request = ListRequest::parse(Some("page=2&per=25"));
        assert_eq!((request.page(), request.page_size()), (2, 25));
    }
}
