//! Fuzzes the SQL parser: no input may panic, overflow the stack or hang; and whatever parses must
//! print (Display) to SQL that parses again to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use query::{parse, parse_with_limits, ParseLimits};

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    let Ok(statements) = parse(sql) else { return };
    // Printing adds parentheses (around nested AND/OR), so reparse with room to spare.
    let roomy = ParseLimits { max_statement_bytes: usize::MAX, max_depth: 10_000 };
    for statement in statements {
        let printed = statement.to_string();
        let reparsed = parse_with_limits(&printed, &roomy)
            .unwrap_or_else(|e| panic!("printed SQL does not parse: {e}\n{printed}\nfrom {sql:?}"));
        assert_eq!(reparsed.len(), 1, "{printed}");
        let again = reparsed.iter().map(ToString::to_string).collect::<String>();
        assert_eq!(again, printed, "printing is not stable for {sql:?}");
    }
});
