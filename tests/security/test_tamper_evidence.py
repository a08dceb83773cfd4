"""Issue 28 finding 12: a database owner who edits a paid instruction and its batch line (and could
recompute the hash chain) is still caught: ``ledger verify`` compares every confirmed payment with the
batch line its signers hashed, and the batch with the hash each level signed."""
from prepay_admin.services.demo import load_demo
from tests.console import token_for


def test_28_24_an_edited_paid_instruction_and_batch_line_fail_verify(app, cli_runner, monkeypatch):
    load_demo(app.extensions["prepay_sessions"], institutions=4, seed=1, year=2026, play=True)
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "caiwu1"))
    assert cli_runner.invoke(args=["ledger", "verify"]).exit_code == 0
    with app.extensions["prepay_engine"].begin() as conn:  # the owner raises one paid transfer by 1,000 yuan
        instruction, item = conn.exec_driver_sql(
            "SELECT id, batch_item_id FROM payment_instruction WHERE state = 'paid' ORDER BY id LIMIT 1").one()
        conn.exec_driver_sql(f"UPDATE payment_instruction SET amount = amount + 100000 WHERE id = {instruction}")
        conn.exec_driver_sql(f"UPDATE payment_batch_item SET amount = amount + 100000 WHERE id = {item}")
    result = cli_runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1 and "[payment_unsigned]" in result.output, result.output
