"""Counts the resources template.yaml becomes after the SAM transform and fails
past the budget (CloudFormation refuses a stack over 500 resources; ADR 0014).

Run by `make sam-validate` with the tools venv (aws-sam-translator, cfn-lint)."""
import os
import sys
from collections import Counter

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

LIMIT = 500
BUDGET = 470  # leaves room for the next context's routes before nested stacks are needed


class NoManagedPolicies:
    def load(self):
        return {}


def main(path):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template, errors = decode(path)
    if errors:
        sys.exit(f"{path}: {errors}")
    # the transform wants an S3 code location; `sam build` writes the real one
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://bucket/key"
    template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    resources = transform(template, {}, NoManagedPolicies())["Resources"]
    kinds = Counter(r["Type"] for r in resources.values()).most_common(4)
    print(f"resources after the SAM transform: {len(resources)} of {LIMIT} (budget {BUDGET}); most: {kinds}")
    if len(resources) > BUDGET:
        sys.exit(f"over the resource budget: split a context into a nested stack or share more roles (ADR 0014)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
