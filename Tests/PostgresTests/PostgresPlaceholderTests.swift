import Postgres
import Testing

/// The shared SQL's `?` placeholders as PostgreSQL numbers them.
@Suite struct PostgresPlaceholderTests {
    let rewrite = PostgresPlaceholders.questionMarks.rewrite

    @Test func numbersQuestionMarksInOrder() {
        #expect(
            rewrite("SELECT * FROM t WHERE a = ? AND b > ? LIMIT ?")
                == "SELECT * FROM t WHERE a = $1 AND b > $2 LIMIT $3")
        #expect(rewrite("SELECT 1") == "SELECT 1")
    }

    @Test func keepsExplicitNumbersAndContinuesAfterTheLargest() {
        #expect(
            rewrite("UPDATE t SET a = ?2 WHERE id = ?1 AND b < ?2") == "UPDATE t SET a = $2 WHERE id = $1 AND b < $2")
        #expect(rewrite("SELECT ?3, ?, ?1, ?") == "SELECT $3, $4, $1, $5")
        #expect(rewrite("SELECT ?10") == "SELECT $10")
    }

    @Test func leavesQuestionMarksInTextAlone() {
        #expect(rewrite("SELECT 'a?b', ? FROM t") == "SELECT 'a?b', $1 FROM t")
        #expect(rewrite("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', $1")
        #expect(rewrite(#"SELECT "we?rd", ?"#) == #"SELECT "we?rd", $1"#)
        #expect(rewrite("SELECT ? -- why?\n, ?") == "SELECT $1 -- why?\n, $2")
        #expect(rewrite("SELECT /* ? */ ?") == "SELECT /* ? */ $1")
        #expect(rewrite("SELECT $$ ? $$, $tag$ ?$ $tag$, ?") == "SELECT $$ ? $$, $tag$ ?$ $tag$, $1")
        #expect(PostgresPlaceholders.numbered.rewrite("SELECT ?") == "SELECT ?")
    }
}
