"""Uses a client generated from mitan's OpenAPI document (openapi-python-client) as an integrator
would: adds a recruiter, adds a tip, and asks for a dry run of a broadcast of it. Run by run.sh
with the generated package on the path, the service's address and an admin token."""

import datetime
import sys

from mitan_client import AuthenticatedClient
from mitan_client.api.broadcasts import dry_run_broadcast
from mitan_client.api.recruiters import create_recruiter, show_recruiter
from mitan_client.api.tips import create_tip
from mitan_client.models import (
    AddedKind,
    DryRun,
    NewBroadcast,
    NewRecruiter,
    NewTip,
    NewTipTexts,
    Problem,
    Recruiter,
    Tip,
)


def expect(answer, model, what):
    """The parsed answer, if it is `model`; else the status and body, and exit 1."""
    if not isinstance(answer.parsed, model):
        print(f"{what}: {answer.status_code} {answer.content!r}", file=sys.stderr)
        sys.exit(1)
    return answer.parsed


def main(base_url: str, token: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token)

    made = create_recruiter.sync_detailed(
        client=client, body=NewRecruiter(name="SI R. K. Verma", kind=AddedKind.POLICE, quota=25)
    )
    recruiter = expect(made, Recruiter, "create_recruiter")
    assert made.status_code == 201, made.status_code
    assert made.headers["location"] == f"/api/v1/recruiters/{recruiter.id}"
    again = expect(show_recruiter.sync_detailed(recruiter.id, client=client), Recruiter, "show")
    assert again.name == "SI R. K. Verma" and again.code == recruiter.code

    texts = NewTipTexts()
    texts["en"] = "A bank never asks for your OTP. Fraud? Call 1930."
    texts["hi"] = "बैंक कभी OTP नहीं मांगता। ठगी हो तो 1930 पर कॉल करें।"
    tip = expect(
        create_tip.sync_detailed(
            client=client, body=NewTip(category="otp_pin_sharing", texts=texts, order=5)
        ),
        Tip,
        "create_tip",
    )
    assert {text.key.value for text in tip.texts} == {"en", "hi"}, tip.texts

    # A refused body comes back as the document's Problem, naming the field.
    refused = create_tip.sync_detailed(
        client=client, body=NewTip(category="Not A Category", texts=texts)
    )
    problem = expect(refused, Problem, "a refused tip")
    assert refused.status_code == 422 and problem.errors[0].field == "category", problem

    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    dry = expect(
        dry_run_broadcast.sync_detailed(
            client=client, body=NewBroadcast(tip_id=tip.id, send_at=tomorrow)
        ),
        DryRun,
        "dry_run_broadcast",
    )
    assert dry.recipients == 0 and dry.messages == 0, dry
    print(
        f"generated client: recruiter {recruiter.id} (code {recruiter.code}), tip {tip.id}, "
        f"dry run: {dry.recipients} recipients"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
