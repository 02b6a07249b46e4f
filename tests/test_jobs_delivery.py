"""Delivery of the jobs' messages: real SMTP and HTTP servers on loopback, a real outbox on disk.

The outbox is what keeps a report from being lost when the mail server is
down, and from going out twice when it comes back.
"""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from loopback import http_server, smtp_server

from analytics.jobs.config import Smtp
from analytics.jobs.deliver import DeliveryError, Outbox, backoff, post_webhook, send_mail

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
TOKEN = "T0KEN-b7f3e9"
PASSWORD = "pa55-Zq8!wK"


def smtp_for(server, **kwargs) -> Smtp:
    return Smtp(
        host=server.host, port=server.port, sender="radar@example.org", timeout_s=5, **kwargs
    )


def message(to: str = "direction@example.org", subject: str = "Weekly report") -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Tickets created: 206")
    return msg


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def answer(status: int, delay_s: float = 0.0):
    def handler(method, path, headers, body):
        return status, {"Content-Type": "text/plain"}, b"ok" if status < 300 else b"boom", delay_s

    return handler


def test_a_mail_reaches_the_server_from_the_configured_sender():
    with smtp_server() as server:
        send_mail(smtp_for(server), message(to="a@example.org, b@example.org"))
    [received] = server.messages
    assert received["Subject"] == "Weekly report"
    assert received["From"] == "radar@example.org"
    assert received.get_content().strip() == "Tickets created: 206"
    assert server.envelopes == [("radar@example.org", ["a@example.org", "b@example.org"])]


def test_a_mail_sent_while_the_server_is_up_is_not_queued(tmp_path):
    outbox = Outbox(tmp_path)
    with smtp_server() as server:
        result = outbox.send_mail(smtp_for(server), message(), run_id=1, job="weekly", now=NOW)
    assert result == {"channel": "email", "to": "direction@example.org", "status": "sent"}
    assert len(server.messages) == 1
    assert outbox.pending() == []


def test_mail_waits_on_disk_while_the_server_is_down_and_goes_out_once_when_it_is_back(tmp_path):
    outbox = Outbox(tmp_path)
    with smtp_server() as server:
        smtp = smtp_for(server)
        server.stop()
        result = outbox.send_mail(smtp, message(), run_id=3, job="weekly", now=NOW)
        assert result == {"channel": "email", "to": "direction@example.org",
                          "status": "queued", "waiting": ["direction@example.org"]}  # fmt: skip
        folder = tmp_path / "outbox"
        [eml] = folder.glob("*.eml")
        [sidecar] = folder.glob("*.json")
        assert mode(folder) == 0o700 and mode(eml) == 0o600 and mode(sidecar) == 0o600
        assert b"Tickets created: 206" in eml.read_bytes()
        [waiting] = outbox.pending()
        assert waiting["status"] == "queued" and waiting["run_id"] == 3
        assert waiting["next_try"] == (NOW + timedelta(minutes=1)).isoformat()

        server.start()
        assert outbox.retry_due(smtp, NOW + timedelta(seconds=59)) == []  # not due yet
        assert server.messages == []
        tried = outbox.retry_due(smtp, NOW + timedelta(minutes=1))
        assert tried == [
            {"run_id": 3, "job": "weekly", "channel": "email",
             "to": "direction@example.org", "status": "sent"}
        ]  # fmt: skip
        assert outbox.retry_due(smtp, NOW + timedelta(hours=2)) == []
    assert [m["Subject"] for m in server.messages] == ["Weekly report"]
    assert outbox.pending() == []
    assert not list(folder.glob("*.eml")) and not list(folder.glob("*.json"))


def test_a_mail_the_server_refuses_for_now_is_queued_and_retried(tmp_path):
    outbox = Outbox(tmp_path)
    with smtp_server() as server:
        server.reply = "451 4.3.0 mailbox busy, try later"
        result = outbox.send_mail(smtp_for(server), message(), run_id=4, job="weekly", now=NOW)
        assert result["status"] == "queued"
        assert "451 4.3.0 mailbox busy" in outbox.pending()[0]["error"]
        server.reply = None
        [tried] = outbox.retry_due(smtp_for(server), NOW + timedelta(minutes=1))
    assert tried["status"] == "sent"
    assert len(server.messages) == 1


def test_recipients_the_server_refuses_wait_alone_and_the_others_get_one_copy(tmp_path):
    outbox = Outbox(tmp_path)
    with smtp_server() as server:
        smtp = smtp_for(server)
        server.refuse = {"b@example.org"}
        result = outbox.send_mail(
            smtp, message(to="a@example.org, b@example.org"), run_id=6, job="weekly", now=NOW
        )
        assert result == {"channel": "email", "to": "a@example.org, b@example.org",
                          "status": "queued", "waiting": ["b@example.org"]}  # fmt: skip
        [item] = outbox.pending()
        assert item["to"] == "b@example.org" and "450 4.2.1 mailbox busy" in item["error"]
        server.refuse = set()
        [tried] = outbox.retry_due(smtp, NOW + timedelta(minutes=1))
        assert tried["status"] == "sent"
    assert [rcpt for _, rcpt in server.envelopes] == [["a@example.org"], ["b@example.org"]]
    assert outbox.pending() == []


def test_the_message_retried_is_the_message_queued(tmp_path):
    """The retried copy keeps its Message-ID and Date: a reader's client sees one message."""
    outbox = Outbox(tmp_path)
    original = message()
    with smtp_server() as server:
        server.stop()
        outbox.send_mail(smtp_for(server), original, run_id=1, job="weekly", now=NOW)
        server.start()
        outbox.retry_due(smtp_for(server), NOW + timedelta(minutes=1))
    [received] = server.messages
    assert received["Message-ID"] == original["Message-ID"] is not None
    assert received["Date"] == original["Date"]


def test_failed_retries_wait_longer_each_time_up_to_an_hour(tmp_path):
    outbox = Outbox(tmp_path)
    with smtp_server() as server:
        smtp = smtp_for(server)
        server.stop()
        outbox.send_mail(smtp, message(), run_id=1, job="weekly", now=NOW)
        waits = []
        for _ in range(9):
            [item] = outbox.pending()
            due = datetime.fromisoformat(item["next_try"])
            [tried] = outbox.retry_due(smtp, due)
            assert tried["status"] == "queued"
            waits.append(datetime.fromisoformat(outbox.pending()[0]["next_try"]) - due)
    assert [w // timedelta(minutes=1) for w in waits] == [2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert outbox.pending()[0]["attempts"] == 10


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (7, 60), (40, 60)])
def test_backoff_doubles_and_stops_at_an_hour(attempts, minutes):
    assert backoff(attempts) == timedelta(minutes=minutes)


def test_after_a_day_of_failures_the_mail_moves_to_failed_and_stays_on_disk(tmp_path):
    outbox = Outbox(tmp_path)
    with smtp_server() as server:
        smtp = smtp_for(server)
        server.stop()
        outbox.send_mail(smtp, message(), run_id=5, job="weekly", now=NOW)
        assert outbox.retry_due(smtp, NOW + timedelta(hours=23))[0]["status"] == "queued"
        [tried] = outbox.retry_due(smtp, NOW + timedelta(hours=24, minutes=5))
        assert tried["status"] == "failed"
        server.start()
        assert outbox.retry_due(smtp, NOW + timedelta(days=3)) == []  # given up: not retried
    assert server.messages == []
    failed = tmp_path / "outbox" / "failed"
    assert len(list(failed.glob("*.eml"))) == 1 and len(list(failed.glob("*.json"))) == 1
    assert not list((tmp_path / "outbox").glob("*.eml"))
    [item] = outbox.pending()
    assert item["status"] == "failed" and item["run_id"] == 5
    assert "127.0.0.1" in item["error"]


def test_a_webhook_receives_the_payload_as_json():
    with http_server(answer(200)) as web:
        post_webhook(web.url(f"/services/{TOKEN}"), {"text": "Surge expected Monday"})
    [request] = web.requests
    assert request["method"] == "POST"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == {"text": "Surge expected Monday"}


def test_a_refused_webhook_waits_in_the_outbox_without_showing_its_token(tmp_path):
    outbox = Outbox(tmp_path)
    with http_server(answer(500)) as web:
        url = web.url(f"/services/{TOKEN}?key={TOKEN}")
        host = url.split("/")[2]
        with pytest.raises(DeliveryError) as refused:
            post_webhook(url, {"text": "x"})
        result = outbox.send_webhook(url, {"text": "x"}, run_id=9, job="surges", now=NOW)
    assert str(refused.value) == f"webhook to {host} failed: HTTP 500"
    assert result == {"channel": "webhook", "to": host, "status": "queued"}
    [item] = outbox.pending()
    assert TOKEN not in json.dumps(item) and item["to"] == host
    [sidecar] = (tmp_path / "outbox").glob("*.json")
    assert mode(sidecar) == 0o600  # it holds the URL, token and all
    assert json.loads(sidecar.read_text())["url"] == url


def test_a_refused_webhook_is_delivered_by_a_later_retry(tmp_path):
    outbox = Outbox(tmp_path)
    status = {"code": 503}

    def handler(method, path, headers, body):
        return status["code"], {}, b"", 0.0

    with http_server(handler) as web:
        url = web.url(f"/hooks/{TOKEN}")
        outbox.send_webhook(url, {"text": "Backlog grew 25%"}, run_id=2, job="growth", now=NOW)
        status["code"] = 200
        [tried] = outbox.retry_due(None, NOW + timedelta(minutes=1))
    assert tried == {"run_id": 2, "job": "growth", "channel": "webhook",
                     "to": url.split("/")[2], "status": "sent"}  # fmt: skip
    assert [json.loads(r["body"]) for r in web.requests] == [{"text": "Backlog grew 25%"}] * 2
    assert outbox.pending() == []


def test_a_slow_webhook_times_out_as_a_one_line_delivery_error():
    with (
        http_server(answer(200, delay_s=3.0)) as web,
        pytest.raises(DeliveryError, match="timed out") as slow,
    ):
        post_webhook(web.url(f"/hooks/{TOKEN}"), {"text": "x"}, timeout_s=0.3)
    assert TOKEN not in str(slow.value) and "\n" not in str(slow.value)


def test_two_workers_retrying_at_once_deliver_an_item_once(tmp_path):
    outbox = Outbox(tmp_path)
    status = {"code": 500}

    def handler(method, path, headers, body):
        return status["code"], {}, b"", 0.5  # slow enough for the two retries to overlap

    with http_server(handler) as web:
        outbox.send_webhook(web.url("/hooks/x"), {"text": "x"}, run_id=1, job="j", now=NOW)
        status["code"] = 200
        results = []
        workers = [
            threading.Thread(
                target=lambda: results.append(
                    Outbox(tmp_path).retry_due(None, NOW + timedelta(hours=1))
                )
            )
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert len(web.requests) == 2  # the first try and one retry
    assert sorted(len(r) for r in results) == [0, 1]


@pytest.mark.filterwarnings("ignore:Requiring AUTH")  # loopback: no certificates to make
def test_a_refused_login_never_shows_the_password(tmp_path):
    with smtp_server(credentials=("radar", "the-right-one")) as server:
        smtp = smtp_for(server, user="radar", password=PASSWORD)
        with pytest.raises(DeliveryError) as refused:
            send_mail(smtp, message())
        Outbox(tmp_path).send_mail(smtp, message(), run_id=1, job="weekly", now=NOW)
        send_mail(smtp_for(server, user="radar", password="the-right-one"), message())
    assert "535" in str(refused.value)
    assert PASSWORD not in str(refused.value) and PASSWORD not in repr(smtp)
    [item] = Outbox(tmp_path).pending()
    assert PASSWORD not in json.dumps(item)
    assert all(PASSWORD not in p.read_text() for p in (tmp_path / "outbox").glob("*.*"))
    assert len(server.messages) == 1  # the right password gets through


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_server_without_tls_is_refused_rather_than_sent_to_in_clear(security):
    with smtp_server() as server:
        expected = f"{server.host}:{server.port}"
        with pytest.raises(DeliveryError, match=expected):
            send_mail(smtp_for(server, security=security), message())
        assert server.messages == []


def test_a_mail_server_nobody_listens_on_is_a_one_line_delivery_error():
    with smtp_server() as server:
        smtp = smtp_for(server)
        server.stop()
        with pytest.raises(DeliveryError) as down:
            send_mail(smtp, message())
    assert str(down.value).startswith(f"mail through {server.host}:{server.port} failed:")
    assert "\n" not in str(down.value)
