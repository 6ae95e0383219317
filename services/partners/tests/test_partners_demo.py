"""``make demo`` (PLAT-03 part): a partner follows the whole Hubei flow on a local webhook
receiver that verifies every signature; nothing the replay API lists is missing."""

from __future__ import annotations

from anjian_local.demo import partner_stream, play_hubei


async def test_demo_partner_receives_and_verifies_every_event_of_the_hubei_flow(platform, tmp_path):
    lines: list[str] = []
    async with partner_stream(platform.api, admin_password=platform.admin_password, say=lines.append) as stream:
        result = await play_hubei(platform.api, admin_password=platform.admin_password, out_dir=tmp_path,
                                  say=lines.append)
        await stream.wait_for("notices.notice.closed.v1", notice_id=result["notice_id"])  # as run_demo does
    assert result["final_status"]
    assert stream.receiver.rejected == 0
    assert stream.expected and set(stream.expected) <= set(stream.receiver.events)
    types = stream.counts()
    for t in ("identity.organization.created.v1", "identity.user.created.v1", "projects.project.registered.v1",
              "inspections.plan.confirmed.v1", "inspections.plan.submitted.v1", "notices.notice.issued.v1",
              "notices.reply.submitted.v1", "notices.reply.reviewed.v1", "notices.notice.closed.v1"):
        assert types.get(t), f"the partner got no {t}"
    assert types["notices.reply.reviewed.v1"] >= 2
    notice_events = [e for e in stream.receiver.events.values() if e.type == "notices.notice.closed.v1"
                     and e.data["notice_id"] == result["notice_id"]]
    assert len(notice_events) == 1
    assert all(e.tenant == "hubei" for e in stream.receiver.events.values())
    assert any("合作方收到并验证" in line for line in lines)
