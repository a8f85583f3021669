// Bulk-invites guests through Microsoft Graph with Microsoft's JavaScript
// client (@microsoft/microsoft-graph-client 3) and @azure/identity's
// ClientSecretCredential, as in Microsoft's code samples for B2B
// collaboration, pointed at Vestibule: only the base URL and the
// credential's authority differ from a script written for Entra. Both
// libraries speak https only; the test's CA comes in NODE_EXTRA_CA_CERTS.
//
// The same steps as clients/graph_sdk_script.py: for each guest read as
// JSON from stdin ([{email, displayName, sendInvitationMessage, message}])
// look the address up ($filter=mail eq '…') and invite only the new ones;
// add every guest to a group (members/$ref); assign them an app role of an
// application found by name (servicePrincipals, appRoleAssignedTo); page
// through all guests with PageIterator ($filter, $select, a small $top,
// $count with ConsistencyLevel: eventual); read the directory audit log;
// ask for a user that does not exist to show the client's GraphError. It
// prints one JSON line, {"step": "summary", …}, with what each step did or
// the error it met, and carries on past a failed step.
//
// Usage: node graph_client_script.mjs CONFIG_JSON < guests.json, with the
// client secret in GRAPH_CLIENT_SECRET. CONFIG_JSON holds graph (the
// portal's origin with a trailing slash: the client adds v1.0), tenant,
// client_id, authority (the portal's https origin), group_id, application,
// app_role, redirect_url and page_size.

import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import graphClient from "@microsoft/microsoft-graph-client";
import azureTokenCredentials from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";

const { Client, GraphError, PageIterator } = graphClient;
const { TokenCredentialAuthenticationProvider } = azureTokenCredentials;

// Each request and its status on stderr, for the test's failure message:
// the Graph client sends them through the global fetch (MSAL, which gets
// the token, has its own).
const fetchWithoutTrace = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const answer = await fetchWithoutTrace(input, init);
  const method = init?.method ?? input?.method ?? "GET";
  console.error(`${method} ${input?.url ?? input} ${answer.status}`);
  return answer;
};

const config = JSON.parse(process.argv[2]);
const guests = JSON.parse(readFileSync(0, "utf8"));
const secret = process.env.GRAPH_CLIENT_SECRET;

function version(name) {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

const credential = new ClientSecretCredential(config.tenant, config.client_id, secret, {
  authorityHost: config.authority,
  disableInstanceDiscovery: true,
});
const authProvider = new TokenCredentialAuthenticationProvider(credential, {
  scopes: ["https://graph.microsoft.com/.default"],
});
// customHosts: the client sends the token only to Graph's own hosts and
// these (host names, without the port).
const client = Client.initWithMiddleware({
  authProvider,
  baseUrl: config.graph,
  customHosts: new Set([new URL(config.graph).hostname]),
});

const summary = {
  step: "summary",
  library: `@microsoft/microsoft-graph-client ${version("@microsoft/microsoft-graph-client")}`,
  identity: `@azure/identity ${version("@azure/identity")}`,
  steps: {},
};

function errorOf(e) {
  if (e instanceof GraphError) {
    return { status: e.statusCode, code: e.code, message: e.message, request_id: e.requestId };
  }
  return { exception: e?.name ?? typeof e, message: String(e?.message ?? e).slice(0, 500) };
}

function ok(step) {
  summary.steps[step] ??= "ok";
}

function failed(step, e) {
  summary.steps[step] = errorOf(e);
  console.error(`${step} failed: ${JSON.stringify(summary.steps[step])}`);
}

const quote = (text) => `'${text.replaceAll("'", "''")}'`;

async function findUserByMail(mail) {
  const found = await client
    .api("/users")
    .filter(`mail eq ${quote(mail)}`)
    .select("id,mail,displayName,userType")
    .get();
  return found.value[0];
}

async function inviteGuests() {
  const ids = new Map();
  summary.invited = [];
  summary.skipped = [];
  for (const guest of guests) {
    let existing;
    try {
      existing = await findUserByMail(guest.email);
      ok("lookup");
    } catch (e) {
      failed("lookup", e);
    }
    if (existing) {
      summary.skipped.push({ email: guest.email, id: existing.id });
      ids.set(guest.email, existing.id);
      continue;
    }
    const invitation = {
      invitedUserEmailAddress: guest.email,
      invitedUserDisplayName: guest.displayName,
      inviteRedirectUrl: config.redirect_url,
      sendInvitationMessage: guest.sendInvitationMessage ?? false,
    };
    if (guest.message) {
      invitation.invitedUserMessageInfo = { customizedMessageBody: guest.message };
    }
    try {
      const result = await client.api("/invitations").post(invitation);
      ok("invite");
      ids.set(guest.email, result.invitedUser.id);
      summary.invited.push({
        email: result.invitedUserEmailAddress,
        id: result.invitedUser.id,
        status: result.status,
        sendInvitationMessage: result.sendInvitationMessage,
        inviteRedeemUrl: Boolean(result.inviteRedeemUrl),
      });
    } catch (e) {
      failed("invite", e);
    }
  }
  return ids;
}

async function addToGroup(ids) {
  summary.group_members_added = [];
  for (const [email, id] of ids) {
    try {
      await client
        .api(`/groups/${config.group_id}/members/$ref`)
        .post({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });
      ok("group_members");
      summary.group_members_added.push(email);
    } catch (e) {
      failed("group_members", e);
    }
  }
  // Adding a member twice is Graph's 400, which scripts catch.
  const [first] = ids.values();
  if (first) {
    try {
      await client
        .api(`/groups/${config.group_id}/members/$ref`)
        .post({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${first}` });
      summary.duplicate_member = { status: "accepted" };
    } catch (e) {
      summary.duplicate_member = errorOf(e);
    }
  }
}

async function assignAppRole(ids) {
  summary.assignments = [];
  let principal;
  let role;
  try {
    const found = await client
      .api("/servicePrincipals")
      .filter(`displayName eq ${quote(config.application)}`)
      .select("id,appId,displayName,appRoles")
      .get();
    principal = found.value[0];
    role = principal.appRoles.find((r) => r.value === config.app_role);
    if (!role) throw new Error(`no app role ${config.app_role} in ${JSON.stringify(principal.appRoles)}`);
    ok("service_principal");
    summary.service_principal = {
      id: principal.id,
      appId: principal.appId,
      displayName: principal.displayName,
      appRoleId: role.id,
    };
  } catch (e) {
    failed("service_principal", e);
    return;
  }
  for (const [email, id] of ids) {
    try {
      const assignment = await client
        .api(`/servicePrincipals/${principal.id}/appRoleAssignedTo`)
        .post({ principalId: id, resourceId: principal.id, appRoleId: role.id });
      ok("app_role_assignment");
      summary.assignments.push({
        email,
        id: assignment.id,
        principalId: assignment.principalId,
        principalType: assignment.principalType,
        appRoleId: assignment.appRoleId,
        resourceDisplayName: assignment.resourceDisplayName,
      });
    } catch (e) {
      failed("app_role_assignment", e);
    }
  }
}

// Every guest, a few at a time: the first page asks for the count, with
// the header Entra needs for it; PageIterator follows @odata.nextLink,
// which must carry everything else.
async function pageThroughGuests() {
  const mails = [];
  const pages = [];
  try {
    const first = await client
      .api("/users")
      .filter("userType eq 'Guest'")
      .select("id,displayName,mail,userType,externalUserState")
      .top(config.page_size)
      .count(true)
      .header("ConsistencyLevel", "eventual")
      .get();
    let seen;
    const iterator = new PageIterator(client, first, (user) => {
      if (seen !== iterator.collection) {
        seen = iterator.collection;
        pages.push(0);
      }
      pages[pages.length - 1] += 1;
      mails.push(user.mail);
      return true;
    });
    await iterator.iterate();
    ok("paging");
    summary.guests = { count: first["@odata.count"], pages, mails };
  } catch (e) {
    failed("paging", e);
    summary.guests = { pages, mails };
  }
}

async function readAuditLog(activities) {
  summary.audit = [];
  for (const activity of activities) {
    try {
      const first = await client
        .api("/auditLogs/directoryAudits")
        .filter(`activityDisplayName eq ${quote(activity)}`)
        .top(50)
        .get();
      const iterator = new PageIterator(client, first, (entry) => {
        summary.audit.push({
          activity: entry.activityDisplayName,
          category: entry.category,
          result: entry.result,
          app: entry.initiatedBy?.app?.displayName ?? null,
          appId: entry.initiatedBy?.app?.appId ?? null,
          targets: (entry.targetResources ?? []).map((t) => t.id),
        });
        return true;
      });
      await iterator.iterate();
      ok("audit");
    } catch (e) {
      failed("audit", e);
    }
  }
}

async function notFound() {
  const missing = randomUUID();
  try {
    await client.api(`/users/${missing}`).get();
    summary.not_found = { status: "found" };
  } catch (e) {
    summary.not_found = { ...errorOf(e), id: missing };
  }
}

const ids = await inviteGuests();
await addToGroup(ids);
await assignAppRole(ids);
await pageThroughGuests();
await readAuditLog(["Invite external user", "Add member to group", "Add app role assignment to user"]);
await notFound();
process.stdout.write(JSON.stringify(summary) + "\n");
