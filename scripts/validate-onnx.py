"""Checks the models scripts/convert-fixtures.mjs wrote against the ONNX spec and writes a Markdown report.

    node scripts/convert-fixtures.mjs
    ../shared/tools/py26 scripts/validate-onnx.py [tmp/onnx-validity/manifest.json] [--report docs/onnx-validity.md]

Each model goes through a check of what onnx's checker lets through (negative axes before opset 11),
onnx.checker.check_model(full_check=True) and onnx.shape_inference.infer_shapes(check_type=True,
strict_mode=True); the first that fails is the model's failure. A failure is grouped under a rule:
the check, the op and the error text with names and numbers taken out. The report's "## Notes" section,
written by hand, is kept when the report is rewritten. Exits 1 if any model fails.
"""
import argparse
import collections
import json
import os
import re
import sys

import onnx
import onnx.checker
import onnx.numpy_helper
import onnx.shape_inference

OP_TYPE = re.compile(r"op_type:(\w+)")
# Node names, value names and numbers vary between models that break the same rule.
VARYING = [
    (re.compile(r"node name: [^)]*"), "node name: …"),
    (re.compile(r"'[^']*'"), "'…'"),
    (re.compile(r"\b\d+\b"), "N"),
]


def first_line(error):
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def rule_of(check, message):
    op = OP_TYPE.search(message)
    text = message
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return f"{check}: {op.group(1) if op else 'model'}: {text}"


def constant_values(graph):
    """Output name → values of the graph's int Constant nodes and initializers (axes given as inputs)."""
    values = {t.name: onnx.numpy_helper.to_array(t).ravel().tolist() for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            values[node.output[0]] = onnx.numpy_helper.to_array(node.attribute[0].t).ravel().tolist()
    return values


def negative_axes(graph, opset):
    """
    Negative axes where the opset does not define them, which check_model lets through: `axis`/`axes`
    attributes count from the back only from opset 11, as do Slice-10's `axes` input. OneHot-9 defines
    axis=-1 (its default). Messages for the nodes that break the rule, sub-graphs included.
    """
    if opset >= 11:
        return []
    found = []
    constants = constant_values(graph)
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                found += negative_axes(attribute.g, opset)
            if attribute.name not in ("axis", "axes"):
                continue
            values = list(attribute.ints) if attribute.type == onnx.AttributeProto.INTS else [attribute.i]
            if node.op_type == "OneHot" and values == [-1]:
                continue
            if any(v < 0 for v in values):
                found.append(f"(op_type:{node.op_type}, node name: {node.name}): {attribute.name}={values} at opset {opset}")
        if node.op_type == "Slice" and len(node.input) > 3 and any(v < 0 for v in constants.get(node.input[3], [])):
            found.append(f"(op_type:Slice, node name: {node.name}): axes input {constants[node.input[3]]} at opset {opset}")
    return found


def validate(path):
    """None if the model passes, else (check, message) for the first check that fails."""
    model = onnx.load(path)
    opset = next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
    spec_problems = negative_axes(model.graph, opset)
    if spec_problems:
        return ("negative axes before opset 11", spec_problems[0])
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # onnx raises ValidationError, InferenceError or others
        return ("check_model(full_check=True)", first_line(error))
    try:
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as error:
        return ("infer_shapes(check_type=True, strict_mode=True)", first_line(error))
    return None


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


NOTES_HEADING = "## Notes"


def kept_notes(path):
    """The hand-written part of an existing report, from its NOTES_HEADING line on: rewriting keeps it."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        lines = f.read().rstrip("\n").split("\n")
    return lines[lines.index(NOTES_HEADING):] if NOTES_HEADING in lines else []


def write_report(path, manifest_path, results, conversion_failures):
    models = [model for model, _ in results]
    failed = [(model, problem) for model, problem in results if problem]
    by_rule = collections.defaultdict(list)
    for model, (check, message) in failed:
        by_rule[rule_of(check, message)].append((model, message))
    families = collections.Counter(model["family"] for model in models)
    failing_families = collections.Counter(model["family"] for model, _ in failed)
    opsets = sorted({model["opset"] for model in models})
    lines = [
        "# ONNX validity of the fixture conversions",
        "",
        "Every committed fixture case (test/fixtures/{ops,conformance,models,control,dynamic}), converted by",
        "tsonnx at every opset from the lowest its tests use to the highest, checked with",
        f"onnx {onnx.__version__}: `onnx.checker.check_model(model, full_check=True)`,",
        "`onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)`, and for what the",
        "checker lets through: no negative `axis`/`axes` attribute (nor Slice-10 `axes` input) before opset 11,",
        "where the operators do not define them (OneHot-9's default axis=-1 excepted).",
        "",
        "```",
        "node scripts/convert-fixtures.mjs",
        f"../shared/tools/py26 scripts/validate-onnx.py {os.path.relpath(manifest_path)} --report {os.path.relpath(path)}",
        "```",
        "",
        f"**{len(models)} models** (opsets {opsets[0]}–{opsets[-1]}), **{len(failed)} failing**, "
        f"{len(by_rule)} rules broken, {len(conversion_failures)} conversions failed.",
        "",
        "| family | models | failing |",
        "|---|---|---|",
    ]
    lines += [f"| {family} | {count} | {failing_families[family]} |" for family, count in sorted(families.items())]
    lines.append("")
    if by_rule:
        lines += ["## Failures by rule", ""]
        for rule, hits in sorted(by_rule.items(), key=lambda item: -len(item[1])):
            lines += [f"### {cell(rule)} ({len(hits)})", "", "| case | torch | opset | error |", "|---|---|---|---|"]
            for model, message in sorted(hits, key=lambda hit: (hit[0]["case"], hit[0]["torch"], hit[0]["opset"])):
                lines.append(f"| {model['family']}/{cell(model['case'])} | {model['torch']} | {model['opset']} | {cell(message)} |")
            lines.append("")
    if conversion_failures:
        lines += ["## Conversions that failed", "", "| case | torch | opset | error |", "|---|---|---|---|"]
        for failure in conversion_failures:
            lines.append(f"| {failure['family']}/{cell(failure['case'])} | {failure['torch']} | {failure['opset']} | {cell(failure['error'])} |")
        lines.append("")
    lines += kept_notes(path)
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return len(failed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?", default=os.path.join("tmp", "onnx-validity", "manifest.json"))
    parser.add_argument("--report", default=os.path.join("docs", "onnx-validity.md"))
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    folder = os.path.dirname(os.path.abspath(args.manifest))
    results = []
    for index, model in enumerate(manifest["models"]):
        results.append((model, validate(os.path.join(folder, model["file"]))))
        if (index + 1) % 1000 == 0:
            print(f"{index + 1} of {len(manifest['models'])} checked", file=sys.stderr)
    failing = write_report(args.report, args.manifest, results, manifest["failures"])
    print(f"{len(results)} models, {failing} failing; report: {args.report}", file=sys.stderr)
    sys.exit(1 if failing or manifest["failures"] else 0)


if __name__ == "__main__":
    main()
