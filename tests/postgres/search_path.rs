//! The import's staging table is named in `pg_temp` itself: a role whose `search_path` puts
//! `public` before `pg_temp` (`ALTER ROLE … SET search_path = public, pg_temp`) must not
//! stage a roster in a table someone planted in `public` under the same name, rows and all.

use kenpo_auth::Store;
use kenpo_auth::store::{ImportMode, RosterEntry};

use crate::records::shoko_record;
use crate::require_server;
use crate::support::{TestSchema, admin, block_on, url};

#[test]
fn a_staging_table_planted_in_public_is_never_read() {
    let _server = require_server!();
    let planted = format!("kenpo_roster_import_{}", std::process::id());
    // The planted table has the staging table's name only while this test runs; another
    // process's imports use the default search_path, where pg_temp comes first anyway.
    admin(&format!(
        "CREATE TABLE public.{planted} (seq BIGINT, line BIGINT, insurer_code TEXT, \
         symbol TEXT, number TEXT, birth_date TEXT, name_kana TEXT, coverage_end TEXT);
         INSERT INTO public.{planted} VALUES \
         (0, 1, '06139999', '99', '999', '1970-01-01', 'ニセ モノ', NULL);
         ALTER TABLE public.{planted} RENAME TO kenpo_roster_import"
    ))
    .unwrap();
    let schema = TestSchema::new("searchpath");
    let at = format!(
        "{}{}options=-c%20search_path%3Dpublic%2Cpg_temp",
        url(),
        if url().contains('?') { '&' } else { '?' }
    );
    let store = schema.store_at(&at, schema.options().statement_timeout(None));
    let entry = RosterEntry::new(2, Some(shoko_record()));
    let imported =
        block_on(store.import_roster("06139999", [entry].into_iter(), ImportMode::Apply));
    admin("DROP TABLE public.kenpo_roster_import").unwrap();
    let imported = imported.unwrap();
    assert_eq!((imported.added, imported.removed), (1, 0), "{imported:?}");
    assert_eq!(block_on(store.count_roster("06139999")).unwrap(), 1);
}
