"""Counts the resources each stack becomes after the SAM transform, and fails
when one passes its budget (CloudFormation refuses a stack over 500
resources). The root stack (template.yaml) and every nested stack it names
(stacks/*.yaml, written by `make template`) count against their own limit
(ADR 0018).

Run by `make sam-validate` with the tools venv (aws-sam-translator, cfn-lint)."""
import os
import sys
from collections import Counter

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

LIMIT = 500
BUDGET = 470  # headroom under the limit for a hand edit or a new shared resource


class NoManagedPolicies:
    def load(self):
        return {}


def count(path):
    """(resources after the transform, the four most common types, nested stack paths)."""
    template, errors = decode(path)
    if errors:
        sys.exit(f"{path}: {errors}")
    nested = []
    # the transform wants S3 locations; `sam build` and `sam package` write the real ones
    for resource in template["Resources"].values():
        props = resource.setdefault("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://bucket/key"
        if resource["Type"] == "AWS::Serverless::Application" and isinstance(props.get("Location"), str):
            nested.append(os.path.join(os.path.dirname(path), props["Location"]))
            props["Location"] = "https://bucket.s3.amazonaws.com/stack.yaml"
    template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    resources = transform(template, {}, NoManagedPolicies())["Resources"]
    kinds = Counter(r["Type"].split("::", 1)[1] for r in resources.values()).most_common(4)
    return len(resources), kinds, nested


def main(root):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    pending, over, total = [root], [], 0
    print(f"resources per stack after the SAM transform (limit {LIMIT}, budget {BUDGET}):")
    while pending:
        path = pending.pop(0)
        n, kinds, nested = count(path)
        pending.extend(nested)
        total += n
        print(f"  {os.path.relpath(path):<28} {n:>4}   {', '.join(f'{k} {c}' for k, c in kinds)}")
        if n > BUDGET:
            over.append(path)
    print(f"  {'all stacks':<28} {total:>4}")
    if over:
        sys.exit(f"over the resource budget: {', '.join(over)}; lower ROUTES_PER_STACK in infra/devserver/src/stacks.rs or move shared resources out (ADR 0018)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
