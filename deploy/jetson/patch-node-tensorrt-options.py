#!/usr/bin/env python3
"""Lets onnxruntime's Node binding pass TensorRT provider options, not only ``device_id``.

The stock ``js/node/src/session_options_helper.cc`` reads ``name`` and ``deviceId`` from an ``executionProviders``
entry, creates ``OrtTensorRTProviderOptionsV2`` and sets ``device_id`` alone, so FP16, the engine cache, the timing
cache, the workspace limit, the builder level and the optimisation profiles never reach TensorRT (and, being V2
options, the ``ORT_TENSORRT_*`` environment variables are ignored too). This edit makes every other property of a
``tensorrt`` entry a provider option, handed as strings to the C API's ``UpdateTensorRTProviderOptions``, which
validates the names (an unknown one fails the session with onnxruntime's own message).

It inserts three short pieces at anchors read in the binding on onnxruntime's main branch (not yet compiled against
the pinned tag: no Jetson here); it changes nothing when they are already there (idempotent) and fails, naming the
anchor, when the source looks different.

    python3 patch-node-tensorrt-options.py onnxruntime/js/node/src/session_options_helper.cc
"""
import sys

MARK = "uniad-edge: TensorRT provider options"

DECLARE = f"    std::vector<std::string> trtKeys, trtValues;  // {MARK}\n"

COLLECT = f"""      // {MARK}: every other string property of a "tensorrt" entry, e.g. trt_fp16_enable: "1"
      if (name == "tensorrt") {{
        Napi::Array trtNames = obj.GetPropertyNames();
        for (uint32_t k = 0; k < trtNames.Length(); k++) {{
          std::string key = trtNames.Get(k).As<Napi::String>().Utf8Value();
          if (key == "name" || key == "deviceId") continue;
          Napi::Value value = obj.Get(key);
          ORT_NAPI_THROW_TYPEERROR_IF(!value.IsString(), epList.Env(), "Invalid argument: tensorrt option '", key,
                                      "' must be a string.");
          trtKeys.push_back(key);
          trtValues.push_back(value.As<Napi::String>().Utf8Value());
        }}
      }}
"""

APPLY = f"""      if (!trtKeys.empty()) {{  // {MARK}
        std::vector<const char*> keys, values;
        for (size_t k = 0; k < trtKeys.size(); k++) {{
          keys.push_back(trtKeys[k].c_str());
          values.push_back(trtValues[k].c_str());
        }}
        Ort::ThrowOnError(Ort::GetApi().UpdateTensorRTProviderOptions(options, keys.data(), values.data(), keys.size()));
      }}
"""


def line_end(text: str, at: int) -> int:
    """Index just past the newline of the line containing ``at``."""
    return text.index("\n", at) + 1


def find(text: str, anchor: str, start: int = 0) -> int:
    at = text.find(anchor, start)
    if at < 0:
        raise SystemExit(f"patch-node-tensorrt-options: anchor not found: {anchor!r} "
                         "(a different onnxruntime release? check deploy/jetson/onnxruntime-pins.txt)")
    return at


def patch(text: str) -> str:
    """The source with the three pieces inserted; unchanged when it already has them."""
    if MARK in text:
        return text
    parse = find(text, "void ParseExecutionProviders(")
    # 1. per-entry key/value lists, next to the entry's deviceId
    at = line_end(text, find(text, "int deviceId = 0;", parse))
    text = text[:at] + DECLARE + text[at:]
    # 2. collect them where the entry object is read (after its deviceId block)
    device = find(text, 'deviceId = obj.Get("deviceId")', parse)
    at = line_end(text, find(text, "}", device))
    text = text[:at] + COLLECT + text[at:]
    # 3. hand them to onnxruntime right after the binding sets device_id on the TensorRT options
    create = find(text, "CreateTensorRTProviderOptions(&options)", parse)
    at = line_end(text, find(text, "options->device_id = deviceId;", create))
    return text[:at] + APPLY + text[at:]


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[-1].strip())
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        before = f.read()
    after = patch(before)
    if after == before:
        print(f"patch-node-tensorrt-options: {path} already patched")
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(after)
    print(f"patch-node-tensorrt-options: patched {path}")


if __name__ == "__main__":
    main()
