# Read one value out of a JSON document (busybox has no JSON tool).
# Usage: awk -f json.awk -v mode=get FILE KEY...    the value at that path: strings decoded, numbers and
#                                                   true/false/null as written; exit 1 when it is absent
#        awk -f json.awk -v mode=keys FILE KEY...   an object's keys or an array's indexes, one a line
# Array elements are addressed by their index (0, 1, ...).
BEGIN {
  file = ARGV[1]
  target = ""
  for (i = 2; i < ARGC; i++) target = target SUBSEP ARGV[i]
  ARGC = 1
  text = ""
  while ((getline line < file) > 0) text = text line "\n"
  close(file)
  pos = 1
  size = length(text)
  hex = "0123456789abcdef"
  found = 0
  value("")
  exit(found ? 0 : 1)
}

function fail(message) {
  printf "json.awk: %s at character %d\n", message, pos > "/dev/stderr"
  exit 2
}

function blank() {
  while (pos <= size && index(" \t\r\n", substr(text, pos, 1))) pos++
}

function value(path,    c, start, word) {
  blank()
  c = substr(text, pos, 1)
  if (c == "{") return object(path)
  if (c == "[") return array(path)
  if (c == "\"") {
    word = string()
    if (path == target && mode == "get") { printf "%s", word; found = 1 }
    return
  }
  start = pos
  while (pos <= size && substr(text, pos, 1) ~ /[-+.0-9a-zA-Z]/) pos++
  if (pos == start) fail("unexpected '" c "'")
  if (path == target && mode == "get") { printf "%s", substr(text, start, pos - start); found = 1 }
}

function object(path,    key, c) {
  pos++
  if (path == target && mode == "keys") found = 1
  blank()
  if (substr(text, pos, 1) == "}") { pos++; return }
  while (1) {
    blank()
    if (substr(text, pos, 1) != "\"") fail("expected a key")
    key = string()
    if (path == target && mode == "keys") print key
    blank()
    if (substr(text, pos++, 1) != ":") fail("expected ':'")
    value(path SUBSEP key)
    blank()
    c = substr(text, pos++, 1)
    if (c == "}") return
    if (c != ",") fail("expected ',' or '}'")
  }
}

function array(path,    n, c) {
  pos++
  if (path == target && mode == "keys") found = 1
  blank()
  if (substr(text, pos, 1) == "]") { pos++; return }
  for (n = 0; ; n++) {
    if (path == target && mode == "keys") print n
    value(path SUBSEP n)
    blank()
    c = substr(text, pos++, 1)
    if (c == "]") return
    if (c != ",") fail("expected ',' or ']'")
  }
}

function string(    out, c, code, low) {
  pos++
  out = ""
  while (pos <= size) {
    c = substr(text, pos++, 1)
    if (c == "\"") return out
    if (c != "\\") { out = out c; continue }
    c = substr(text, pos++, 1)
    if (c == "n") out = out "\n"
    else if (c == "t") out = out "\t"
    else if (c == "r") out = out "\r"
    else if (c == "b") out = out "\b"
    else if (c == "f") out = out "\f"
    else if (c == "u") {
      code = unicode()
      if (code >= 55296 && code < 56320 && substr(text, pos, 2) == "\\u") {  # a surrogate pair
        pos += 2
        low = unicode()
        code = 65536 + (code - 55296) * 1024 + (low - 56320)
      }
      out = out utf8(code)
    }
    else out = out c  # \" \\ \/
  }
  fail("unterminated string")
}

function unicode(    n, i) {
  n = 0
  for (i = 0; i < 4; i++) n = n * 16 + index(hex, tolower(substr(text, pos + i, 1))) - 1
  pos += 4
  return n
}

function utf8(code) {
  if (code < 128) return sprintf("%c", code)
  if (code < 2048) return sprintf("%c%c", 192 + int(code / 64), 128 + code % 64)
  if (code < 65536) return sprintf("%c%c%c", 224 + int(code / 4096), 128 + int(code / 64) % 64, 128 + code % 64)
  return sprintf("%c%c%c%c", 240 + int(code / 262144), 128 + int(code / 4096) % 64, 128 + int(code / 64) % 64, 128 + code % 64)
}
