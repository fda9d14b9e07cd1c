"""IAM users that stand in for the roles Terraform made, so each service runs with its role's rights on the emulator.

moto's server enforces IAM for the policies of users, but its STS AssumeRole fails for a role trusted by a
service principal (all of ours: Lambda and EC2 assume them). So for every role a user carries the role's
policy documents (inline and attached, read back from IAM) and an access key; a service signing with that
key may do what the role may do, and a missing permission fails as it would on AWS.

One change is made to the documents, because moto resolves the resource a request touches only for SQS
(the queue), S3 (the bucket and key) and IAM; for every other service it matches a statement's Resource
against "*", so a statement naming an exact table or instance ARN would never match there. Actions of
those services are therefore allowed on Resource "*" (conditions kept, though moto, with no request
context to match them against, lets every one hold), and SQS and S3 actions keep their exact ARNs. The
README's section on the emulator says what that leaves unchecked.

A second change: moto asks for `sqs:SendMessageBatch`, `sqs:DeleteMessageBatch` and
`sqs:ChangeMessageVisibilityBatch`, which are no IAM actions (AWS authorizes a batch call by the action of
one entry), so a statement allowing the single action allows its batch name too.

The admin that Terraform applies with is made with the calls moto answers before it enforces anything
(INITIAL_NO_AUTH_ACTION_COUNT = ADMIN_CALLS): create the user, give it `*` on `*`, make its key.
"""

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from gpujobs.aws_clients import Credentials

ADMIN_USER = "gpujobs-admin"
ADMIN_CALLS = 3
"""CreateUser, PutUserPolicy, CreateAccessKey: the calls `make_admin` makes before IAM is enforced."""
STAND_IN_PATH = "/role-stand-ins/"
# Services whose requests moto matches against a statement's Resource; the rest see only "*".
RESOURCE_CHECKED = frozenset({"sqs", "s3", "iam", "sts"})
# The Terraform output naming the role each service runs as. The worker and the Unified API share the GPU
# instance's role (its instance profile), as they do on AWS.
SERVICE_ROLE_OUTPUTS = {
    "api": "api_role_arn",
    "worker": "gpu_instance_role_arn",
    "unified_api": "gpu_instance_role_arn",
    "power": "shutdown_role_arn",
    "distributor": "distributor_role_arn",
    "webhook": "webhook_role_arn",
}
# moto's name for a batch call -> the IAM action AWS authorizes it by.
SQS_BATCH_ACTIONS = {"sqs:sendmessage": "sqs:SendMessageBatch", "sqs:deletemessage": "sqs:DeleteMessageBatch",
                     "sqs:changemessagevisibility": "sqs:ChangeMessageVisibilityBatch"}
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Identity:
    """An IAM user of the emulator and its access key; `role_arn` names the role it stands for."""

    user_name: str
    credentials: Credentials
    role_arn: str | None = None

    def environment(self) -> dict[str, str]:
        """The variables that make boto3 (and Terraform) in a child process sign as this identity."""
        return {"AWS_ACCESS_KEY_ID": self.credentials.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.credentials.secret_access_key}


def make_admin(iam: Any, user_name: str = ADMIN_USER) -> Identity:
    """The identity Terraform and the harness use: allowed everything. Exactly ADMIN_CALLS calls."""
    iam.create_user(UserName=user_name)
    iam.put_user_policy(UserName=user_name, PolicyName="administrator", PolicyDocument=json.dumps(ALLOW_ALL))
    return Identity(user_name, _credentials(iam.create_access_key(UserName=user_name)))


def role_documents(iam: Any, role_name: str) -> dict[str, dict[str, Any]]:
    """Every policy document of the role, inline and attached, by policy name, as IAM holds them."""
    documents: dict[str, dict[str, Any]] = {}
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page["PolicyNames"]:
            documents[name] = _document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for attached in page["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)
            documents[f"attached-{attached['PolicyName']}"] = _document(document["PolicyVersion"]["Document"])
    return documents


def emulator_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the emulator can check it: the statements of services whose resources moto cannot
    resolve are allowed on "*"; statements of SQS and S3 keep their resources, and SQS's single actions
    bring moto's batch names along."""
    statements = document.get("Statement", [])
    out: list[dict[str, Any]] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action")
        if actions is None or statement.get("Effect") != "Allow":
            out.append(dict(statement))  # NotAction and Deny statements are copied as written
            continue
        actions = [actions] if isinstance(actions, str) else list(actions)
        actions += [SQS_BATCH_ACTIONS[a.lower()] for a in actions if a.lower() in SQS_BATCH_ACTIONS]
        checked = [a for a in actions if a.split(":", 1)[0].lower() in RESOURCE_CHECKED]
        unchecked = [a for a in actions if a not in checked]
        if checked:
            out.append({**statement, "Action": checked})
        if unchecked:
            out.append({**statement, "Action": unchecked, "Resource": "*"})
    return {**document, "Statement": out}


def rebind(document: Mapping[str, Any], resources: Mapping[str, str]) -> dict[str, Any]:
    """The document with each Resource ARN in `resources` replaced by its value (`<arn>/*` follows `<arn>`):
    the role's rights over a test's own queue or table instead of the stack's."""
    result = copy.deepcopy(dict(document))
    statements = result.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if "Resource" not in statement:
            continue
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        statement["Resource"] = [_rebound(arn, resources) for arn in listed]
    return result


def without_statements(document: Mapping[str, Any], sids: Iterable[str]) -> dict[str, Any]:
    """The document less the statements with these Sids (to show that a test needs them)."""
    dropped = set(sids)
    statements = document.get("Statement", [])
    kept = [s for s in (statements if isinstance(statements, list) else [statements]) if s.get("Sid") not in dropped]
    return {**document, "Statement": kept}


def put_stand_in(iam: Any, user_name: str, documents: Mapping[str, Mapping[str, Any]],
                 role_arn: str | None = None) -> Identity:
    """Create the user with these documents (made checkable by `emulator_document`) and an access key."""
    tags = [{"Key": "StandsForRole", "Value": role_arn}] if role_arn else []
    iam.create_user(UserName=user_name, Path=STAND_IN_PATH, Tags=tags)
    replace_policies(iam, user_name, documents)
    return Identity(user_name, _credentials(iam.create_access_key(UserName=user_name)), role_arn)


def replace_policies(iam: Any, user_name: str, documents: Mapping[str, Mapping[str, Any]]) -> None:
    """Make these documents the user's only policies (one left with no statement is none); its access key
    stays valid."""
    documents = {name: document for name, document in documents.items() if document.get("Statement")}
    for page in iam.get_paginator("list_user_policies").paginate(UserName=user_name):
        for name in page["PolicyNames"]:
            if name not in documents:
                iam.delete_user_policy(UserName=user_name, PolicyName=name)
    for name, document in documents.items():
        iam.put_user_policy(UserName=user_name, PolicyName=name,
                            PolicyDocument=json.dumps(emulator_document(document)))


def stand_in_for_role(iam: Any, role_name: str, user_name: str | None = None,
                      resources: Mapping[str, str] | None = None,
                      edit: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Identity:
    """A user carrying `role_name`'s documents (its resources rebound by `resources`, then each passed
    through `edit`, if given)."""
    role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    documents = {name: rebind(doc, resources or {}) for name, doc in role_documents(iam, role_name).items()}
    if edit is not None:
        documents = {name: edit(doc) for name, doc in documents.items()}
    return put_stand_in(iam, user_name or role_name, documents, role_arn)


def stand_ins_for_all_roles(iam: Any) -> dict[str, Identity]:
    """One user per role of the account (the name of the user is the role's), by role ARN."""
    identities: dict[str, Identity] = {}
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            identities[role["Arn"]] = stand_in_for_role(iam, role["RoleName"])
    return identities


def service_identities(by_role: Mapping[str, Identity], outputs: Mapping[str, Any]) -> dict[str, Identity]:
    """Service name -> the stand-in of its role, for the services the outputs name a role for."""
    return {service: by_role[outputs[output]] for service, output in SERVICE_ROLE_OUTPUTS.items()
            if outputs.get(output) in by_role}


@dataclass
class ServiceRoles:
    """The stand-in of each service's role on one emulator, and the admin's IAM client that makes more.

    Empty on an emulator that is not moto's server: there every service signs as the session's identity."""

    iam: Any
    by_service: dict[str, Identity]

    def credentials(self, service: str) -> Credentials | None:
        """What a service built in this process signs with (None: the default chain, the admin's)."""
        identity = self.by_service.get(service)
        return identity.credentials if identity else None

    def environment(self, service: str) -> dict[str, str]:
        """The variables that make a child process sign as the service's role ({} on another emulator)."""
        identity = self.by_service.get(service)
        return identity.environment() if identity else {}

    def rebound(self, service: str, user_name: str, resources: Mapping[str, str],
                edit: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Identity | None:
        """A new stand-in with the service's rights over a test's own queues or buckets instead of the stack's
        (`resources`: stack ARN -> the test's ARN), each document passed through `edit` when given (a test
        taking a statement away). None on another emulator."""
        identity = self.by_service.get(service)
        if identity is None or identity.role_arn is None:
            return None
        return stand_in_for_role(self.iam, identity.role_arn.rsplit("/", 1)[-1], user_name, resources, edit)


def service_roles(iam: Any, outputs: Mapping[str, Any]) -> ServiceRoles:
    """A stand-in user for every role of the account, and which one each service the outputs name runs as."""
    return ServiceRoles(iam, service_identities(stand_ins_for_all_roles(iam), outputs))


def delete_stand_in(iam: Any, user_name: str) -> None:
    """Remove the user, its policies and its keys."""
    for page in iam.get_paginator("list_access_keys").paginate(UserName=user_name):
        for key in page["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"])
    for page in iam.get_paginator("list_user_policies").paginate(UserName=user_name):
        for name in page["PolicyNames"]:
            iam.delete_user_policy(UserName=user_name, PolicyName=name)
    iam.delete_user(UserName=user_name)


def write_env_file(path: Path, values: Mapping[str, str]) -> Path:
    """KEY=value lines (readable by `source` and by `read_env_file`), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def _rebound(arn: str, resources: Mapping[str, str]) -> str:
    if arn in resources:
        return resources[arn]
    for old, new in resources.items():
        if arn.startswith(old + "/"):
            return new + arn[len(old):]
    return arn


def _document(raw: Any) -> dict[str, Any]:
    """boto3 decodes policy documents; an emulator may hand them back URL-encoded JSON text."""
    if isinstance(raw, str):
        return json.loads(unquote(raw))
    return dict(raw)


def _credentials(response: Mapping[str, Any]) -> Credentials:
    key = response["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])
