#!/usr/bin/env python3
"""Bulk-invites guests through Microsoft Graph with Microsoft's Python SDK
(msgraph-sdk), in the style of Microsoft's samples for B2B collaboration
(the bulk invitation and code samples), pointed at Vestibule: only the base
URL and the credential differ from a script written for Entra.

For each guest read as JSON from stdin ([{"email", "displayName",
"sendInvitationMessage", "message"}]) it looks the address up
($filter=mail eq '…') and invites only those not yet in the directory; then
it adds every guest to a group (members/$ref), assigns them an app role of
an application it finds by name (servicePrincipals, appRoleAssignedTo),
pages through all guests ($filter=userType eq 'Guest', a small $top,
$count with ConsistencyLevel: eventual) with the SDK's PageIterator, reads
the directory audit log, and asks for a user that does not exist to show
the SDK's ODataError. It prints one JSON line, {"step": "summary", …}, with
what each step did or the error it met, and carries on past a failed step
so that the summary shows every step.

Usage: graph_sdk_script.py CONFIG_JSON < guests.json, with the client
secret in GRAPH_CLIENT_SECRET. CONFIG_JSON holds graph (the API's base URL,
…/v1.0), tenant, client_id, authority (where the token endpoint lives),
credential ("client_credentials": a small credential object that posts the
grant itself, as kiota allows plain http on 127.0.0.1 but MSAL does not;
"azure_identity": azure-identity's ClientSecretCredential, https only),
group_id, application (a display name), app_role (a role's value),
redirect_url and page_size.
"""

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from importlib.metadata import version

import httpx
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.audit_logs.directory_audits.directory_audits_request_builder import (
    DirectoryAuditsRequestBuilder,
)
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.invitation import Invitation
from msgraph.generated.models.invited_user_message_info import InvitedUserMessageInfo
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import PageIterator
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

SCOPES = ["https://graph.microsoft.com/.default"]


class ClientCredentials:
    """A credential in azure-identity's shape (get_token -> AccessToken)
    that posts the client_credentials grant to the tenant's token endpoint
    itself and keeps the token until shortly before it expires."""

    def __init__(self, authority, tenant, client_id, client_secret):
        self.token_url = f"{authority.rstrip('/')}/{tenant}/oauth2/v2.0/token"
        self.client_id = client_id
        self.client_secret = client_secret
        self.token = None
        self.requests = 0

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        if self.token and self.token.expires_on - 300 > time.time():
            return self.token
        self.requests += 1
        answer = httpx.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": " ".join(scopes),
            },
        )
        body = answer.json()
        if answer.status_code != 200:
            raise RuntimeError(f"token endpoint: {answer.status_code} {body}")
        self.token = AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))
        return self.token


def odata_quote(text):
    return "'" + text.replace("'", "''") + "'"


def error_of(e):
    """What a failed call met: Graph's error (status, code, message,
    request id) or the exception itself."""
    if isinstance(e, ODataError):
        main = e.error
        inner = main.inner_error if main else None
        return {
            "status": e.response_status_code,
            "code": main.code if main else None,
            "message": main.message if main else None,
            "request_id": inner.request_id if inner else None,
        }
    return {"exception": type(e).__name__, "message": str(e)[:500]}


class Run:
    """The summary, step by step."""

    def __init__(self):
        self.summary = {"step": "summary", "library": f"msgraph-sdk {version('msgraph-sdk')}", "steps": {}}

    def ok(self, step):
        self.summary["steps"].setdefault(step, "ok")

    def failed(self, step, e):
        logging.error("%s failed: %s", step, error_of(e))
        self.summary["steps"][step] = error_of(e)


async def find_user_by_mail(graph, mail):
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        filter=f"mail eq {odata_quote(mail)}",
        select=["id", "mail", "displayName", "userType"],
    )
    found = await graph.users.get(request_configuration=RequestConfiguration(query_parameters=query))
    return found.value[0] if found and found.value else None


async def invite(graph, guest, redirect_url):
    invitation = Invitation(
        invited_user_email_address=guest["email"],
        invited_user_display_name=guest.get("displayName"),
        invite_redirect_url=redirect_url,
        send_invitation_message=guest.get("sendInvitationMessage", False),
    )
    if guest.get("message"):
        invitation.invited_user_message_info = InvitedUserMessageInfo(customized_message_body=guest["message"])
    return await graph.invitations.post(invitation)


async def invite_guests(run, graph, guests, redirect_url):
    """The bulk invitation: look each address up, invite the new ones.
    Returns each guest's user id."""
    ids = {}
    run.summary["invited"] = []
    run.summary["skipped"] = []
    for guest in guests:
        existing = None
        try:
            existing = await find_user_by_mail(graph, guest["email"])
            run.ok("lookup")
        except Exception as e:  # noqa: BLE001 - the summary says what failed
            run.failed("lookup", e)
        if existing:
            run.summary["skipped"].append({"email": guest["email"], "id": existing.id})
            ids[guest["email"]] = existing.id
            continue
        try:
            result = await invite(graph, guest, redirect_url)
            run.ok("invite")
            ids[guest["email"]] = result.invited_user.id
            run.summary["invited"].append(
                {
                    "email": result.invited_user_email_address,
                    "id": result.invited_user.id,
                    "status": result.status,
                    "sendInvitationMessage": result.send_invitation_message,
                    "inviteRedeemUrl": bool(result.invite_redeem_url),
                }
            )
        except Exception as e:  # noqa: BLE001
            run.failed("invite", e)
    return ids


async def add_to_group(run, graph, group_id, ids):
    run.summary["group_members_added"] = []
    for email, user_id in ids.items():
        try:
            await graph.groups.by_group_id(group_id).members.ref.post(
                ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{user_id}")
            )
            run.ok("group_members")
            run.summary["group_members_added"].append(email)
        except Exception as e:  # noqa: BLE001
            run.failed("group_members", e)
    # Adding a member twice is Graph's 400, which scripts catch.
    if ids:
        first = next(iter(ids.values()))
        try:
            await graph.groups.by_group_id(group_id).members.ref.post(
                ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{first}")
            )
            run.summary["duplicate_member"] = {"status": "accepted"}
        except ODataError as e:
            run.summary["duplicate_member"] = error_of(e)
        except Exception as e:  # noqa: BLE001
            run.summary["duplicate_member"] = error_of(e)


async def assign_app_role(run, graph, application, role_value, ids):
    """Finds the application's service principal by name and the role by
    its value, as scripts do, then assigns the role to every guest."""
    run.summary["assignments"] = []
    try:
        query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=f"displayName eq {odata_quote(application)}",
            select=["id", "appId", "displayName", "appRoles"],
        )
        found = await graph.service_principals.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        principal = found.value[0]
        role = next(r for r in principal.app_roles or [] if r.value == role_value)
        run.ok("service_principal")
        run.summary["service_principal"] = {
            "id": principal.id,
            "appId": principal.app_id,
            "displayName": principal.display_name,
            "appRoleId": str(role.id),
        }
    except Exception as e:  # noqa: BLE001
        run.failed("service_principal", e)
        return
    for email, user_id in ids.items():
        try:
            assignment = await graph.service_principals.by_service_principal_id(
                principal.id
            ).app_role_assigned_to.post(
                AppRoleAssignment(
                    principal_id=uuid.UUID(user_id),
                    resource_id=uuid.UUID(principal.id),
                    app_role_id=role.id,
                )
            )
            run.ok("app_role_assignment")
            run.summary["assignments"].append(
                {
                    "email": email,
                    "id": assignment.id,
                    "principalId": str(assignment.principal_id),
                    "principalType": assignment.principal_type,
                    "appRoleId": str(assignment.app_role_id),
                    "resourceDisplayName": assignment.resource_display_name,
                }
            )
        except Exception as e:  # noqa: BLE001
            run.failed("app_role_assignment", e)


async def page_through_guests(run, graph, adapter, page_size):
    """Every guest, a few at a time: the first page asks for the count,
    with the header Entra needs for it; the PageIterator follows
    @odata.nextLink, which must carry everything else."""
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        filter="userType eq 'Guest'",
        select=["id", "displayName", "mail", "userType", "externalUserState"],
        top=page_size,
        count=True,
    )
    config = RequestConfiguration(query_parameters=query)
    config.headers.add("ConsistencyLevel", "eventual")
    mails = []
    pages = []
    try:
        first = await graph.users.get(request_configuration=config)
        iterator = PageIterator(first, adapter)
        seen_page = [None]

        def collect(user):
            if seen_page[0] is not iterator.current_page:
                seen_page[0] = iterator.current_page
                pages.append(0)
            pages[-1] += 1
            mails.append(user.mail)
            return True

        await iterator.iterate(collect)
        run.ok("paging")
        run.summary["guests"] = {"count": first.odata_count, "pages": pages, "mails": mails}
    except Exception as e:  # noqa: BLE001
        run.failed("paging", e)
        run.summary["guests"] = {"pages": pages, "mails": mails}


async def read_audit_log(run, graph, adapter, activities):
    run.summary["audit"] = []
    for activity in activities:
        try:
            query = DirectoryAuditsRequestBuilder.DirectoryAuditsRequestBuilderGetQueryParameters(
                filter=f"activityDisplayName eq {odata_quote(activity)}",
                top=50,
            )
            first = await graph.audit_logs.directory_audits.get(
                request_configuration=RequestConfiguration(query_parameters=query)
            )
            entries = []

            def collect(entry):
                initiator = entry.initiated_by
                app = initiator.app if initiator else None
                entries.append(
                    {
                        "activity": entry.activity_display_name,
                        "category": entry.category,
                        "result": str(entry.result.value) if entry.result else None,
                        "app": app.display_name if app else None,
                        "appId": app.app_id if app else None,
                        "targets": [t.id for t in entry.target_resources or []],
                    }
                )
                return True

            await PageIterator(first, adapter).iterate(collect)
            run.ok("audit")
            run.summary["audit"].extend(entries)
        except Exception as e:  # noqa: BLE001
            run.failed("audit", e)


async def not_found(run, graph):
    missing = str(uuid.uuid4())
    try:
        await graph.users.by_user_id(missing).get()
        run.summary["not_found"] = {"status": "found"}
    except ODataError as e:
        run.summary["not_found"] = error_of(e)
        run.summary["not_found"]["id"] = missing
    except Exception as e:  # noqa: BLE001
        run.summary["not_found"] = error_of(e)


def credential_for(config, secret):
    if config["credential"] == "azure_identity":
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            config["tenant"],
            config["client_id"],
            secret,
            authority=config["authority"],
            disable_instance_discovery=True,
        )
    return ClientCredentials(config["authority"], config["tenant"], config["client_id"], secret)


async def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(relativeCreated)6d ms %(name)s: %(message)s")
    # Each request and its status on stderr, for the test's failure message.
    logging.getLogger("httpx").setLevel(logging.INFO)
    config = json.loads(sys.argv[1])
    guests = json.loads(sys.stdin.read())
    secret = os.environ["GRAPH_CLIENT_SECRET"]

    credential = credential_for(config, secret)
    # Graph's national clouds are the SDK's default allowed hosts; the
    # bearer token goes only to the hosts named here.
    host = httpx.URL(config["graph"]).host
    auth = AzureIdentityAuthenticationProvider(credential, scopes=SCOPES, allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = config["graph"]
    graph = GraphServiceClient(request_adapter=adapter)

    run = Run()
    run.summary["credential"] = type(credential).__name__
    ids = await invite_guests(run, graph, guests, config["redirect_url"])
    await add_to_group(run, graph, config["group_id"], ids)
    await assign_app_role(run, graph, config["application"], config["app_role"], ids)
    await page_through_guests(run, graph, adapter, config["page_size"])
    await read_audit_log(
        run,
        graph,
        adapter,
        ["Invite external user", "Add member to group", "Add app role assignment to user"],
    )
    await not_found(run, graph)
    if isinstance(credential, ClientCredentials):
        run.summary["token_requests"] = credential.requests
    print(json.dumps(run.summary), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
