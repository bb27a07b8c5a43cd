"""What each problem `type` (api/problems.TYPES) means, for the page its URI leads to: what the
error says, its usual causes, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

from api.problems import TYPES


@dataclass(frozen=True)
class Explanation:
    meaning: str
    causes: tuple[str, ...]
    remedies: tuple[str, ...]


EXPLANATIONS = {
    400: Explanation(
        "A parameter of the request is not one the operation takes, or its value is not one it accepts. The problem's "
        "`errors` name each parameter, where it was (query, path or header), what was expected and what was received.",
        (
            "A misspelt or unknown query parameter (`limt=5`), or one given twice.",
            "A value outside its bounds or spelling: `limit=0`, `limit=05`, `lead=yes`, `script=tc`.",
            "A text parameter too long (`q` is at most 100 characters) or empty.",
            "Broken percent-encoding, or bytes that are not UTF-8.",
        ),
        ("Read the `errors` member and the operation's parameters in the API documentation, then send the request again corrected.",),
    ),
    404: Explanation(
        "Nothing exists at this path, or a filter names a document, chapter or unit that does not exist.",
        (
            "A misspelt id (`lianzhengzong-2021-127-m99`) or path.",
            "A `unit`, `chapter` or `document` filter naming something the dataset does not hold: the API answers 404 rather "
            "than an empty list that would look like an answer.",
        ),
        ("List the collection (`/v1/units`, `/v1/measures`, …) to find the right id; ids are stable within `/v1`.",),
    ),
    405: Explanation(
        "The API is read-only: every resource answers GET and HEAD only.",
        ("A POST, PUT, PATCH or DELETE request.",),
        ("Use GET (the `Allow` header lists what the resource answers). The data can be downloaded whole from `/v1/exports`.",),
    ),
    406: Explanation(
        "The server cannot answer in any representation the `Accept` header allows.",
        ("An `Accept` header that names only media types the resource does not offer.",),
        ("Accept `application/json` (or `text/csv` where a list offers it), or send no `Accept` header.",),
    ),
    408: Explanation(
        "The request's line and headers did not arrive in time, and the connection was closed.",
        ("A slow or stalled client or network; a connection opened and left idle before its first request.",),
        ("Send the request again; send its head promptly (the limit is the `REQUEST_TIMEOUT` setting, 10 s by default).",),
    ),
    414: Explanation(
        "The request target (path and query string) is longer than the server reads.",
        ("A very long query string, for instance a search text repeated or a URL built in a loop.",),
        ("Shorten the URL: the limit is the `MAX_REQUEST_LINE_BYTES` setting, 8,192 bytes by default.",),
    ),
    416: Explanation(
        "A `Range` request asked only for bytes past the end of the file.",
        ("A resumed download of a file that has since been replaced by a shorter one; a wrong offset.",),
        ("The `Content-Range` header gives the file's size: ask for a range within it, or for the whole file.",),
    ),
    431: Explanation(
        "The request's headers together are larger than the server reads.",
        ("Large cookies or many headers added by a proxy or a client library.",),
        ("Send fewer or smaller headers: the limit is the `MAX_HEADER_BYTES` setting, 65,536 bytes by default.",),
    ),
    500: Explanation(
        "An unexpected error in the server. It has been logged with the request id (`X-Request-ID`).",
        ("A bug in the API.",),
        ("Try again later; if it persists, report it with the request id and the request.",),
    ),
    503: Explanation(
        "The server cannot answer now, but should soon: the `Retry-After` header says when to try again.",
        (
            "The server is busy (more requests in flight than it takes).",
            "The database is unreachable, or the downloads of this dataset version have not been written yet.",
        ),
        ("Wait for the time `Retry-After` gives, then send the request again.",),
    ),
}
assert EXPLANATIONS.keys() == TYPES.keys(), "every problem type has a page"

# /problems/{name}: the status and its explanation, by the last segment of its type URI.
BY_NAME = {TYPES[status].rsplit("/", 1)[1]: (status, explanation) for status, explanation in EXPLANATIONS.items()}
