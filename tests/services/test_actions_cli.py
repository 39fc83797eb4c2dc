import json

from portal.extensions import db


def test_export_writes_json_lines(shop, tmp_path):
    customer = shop.customer()
    number = shop.order(customer, total="24.00")
    shop.run("refund", shop.ticket(customer), customer, order_number=number)
    shop.run("cancel", shop.ticket(customer), customer, order_number="NOPE")
    db.session.remove()
    runner = shop.app.test_cli_runner()
    out = tmp_path / "log.jsonl"
    result = runner.invoke(args=["actions", "export", "--since", "2000-01-01", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["tool"], r["decision"], r["amount"]) for r in rows] == [
        ("refund", "done", "24.00"),
        ("cancel", "denied", None),
    ]
    assert rows[1]["reason_code"] == "order_not_found"
    later = runner.invoke(args=["actions", "export", "--since", "2999-01-01"])
    assert later.exit_code == 0 and later.output == ""
