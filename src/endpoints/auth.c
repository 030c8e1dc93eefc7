/* Authentication (SPEC §6): /basic-auth, /hidden-basic-auth, /proxy-auth, /digest-auth,
 * /bearer, and /forbidden, which explains why it is a 403 and not a 401.
 *
 * Every refusal says why (credentials missing, wrong, unreadable, stale), never echoing a
 * password. Basic and Bearer credentials are parsed here because libmicrohttpd accepts only
 * the exact spelling "Basic " (docs/libmicrohttpd.md §6) while RFC 9110 §11.1 makes the scheme
 * case-insensitive; Digest is left to libmicrohttpd, which makes and checks the nonces. */
#include "credentials.h"
#include "echo.h"
#include "utf8.h"
#include "endpoints.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REALM "statusd"
/* Sent back unchanged by clients; libmicrohttpd 0.9.75 does not check it, so any fixed value
 * will do. Hex, as RFC 7616 §3.3 suggests. */
#define DIGEST_OPAQUE "73746174757364206f7061717565"
/* A nonce older than this is stale: the client gets stale=true and retries with a new one
 * without asking its user for the password again. */
#define DIGEST_NONCE_TIMEOUT_S 300
/* User and password in the path: short enough that every note fits the request arena. */
#define PART_MAX_BYTES 128
/* The note echoes a bearer token up to this many characters. */
#define TOKEN_ECHO_MAX 200
/* /digest-auth/{qop}/{user}/{pass}/{algorithm}: the most path segments any route here has. */
#define SEGMENTS_MAX 4

/* --- success ---------------------------------------------------------------------------- */

/* Whether a client asked for text or HTML by name (?format=, or text/plain or text/html in
 * Accept). One that did not (curl's and most SDKs' Accept: *\/\*, or none) is served as
 * httpbin serves it. */
static bool names_a_text_format(const struct request *request)
{
    const char *accept = request_header(request, "Accept");
    return (request_query(request, "format") && request->format != FORMAT_JSON) ||
           (accept && (strcasestr(accept, "text/plain") || strcasestr(accept, "text/html")) &&
            request->format != FORMAT_JSON);
}

/* A 200 for accepted credentials. In JSON (asked for, or no text format named) it is
 * httpbin's shape, {"authenticated": true, "user": ...} (key "token" for Bearer), so
 * clients and test suites written against httpbin read it unchanged; as text or HTML it is
 * the bilingual sentence saying what was accepted. */
static void accept_credentials(struct request *request, struct reply *reply, const char *key,
                               const char *value, size_t value_length, const char *en,
                               const char *zh)
{
    if (names_a_text_format(request)) {
        reply_error(reply, request, 200, en, zh);
        return;
    }
    json_t *answer = json_pack("{s:b,s:o}", "authenticated", 1, key,
                               echo_json_text(value, value_length));
    *reply = (struct reply){ 0 };
    if (!echo_send_json(request, reply, answer))
        return;
    /* JSON or a sentence in the languages asked for: a cache keeps one per both. */
    reply_set_header(reply, "Vary", "Accept, Accept-Language");
}

/* --- path ------------------------------------------------------------------------------ */

struct segments {
    const char *start[SEGMENTS_MAX];
    size_t length[SEGMENTS_MAX];
    size_t count; /* every segment of the path, even past SEGMENTS_MAX */
};

static void split_path(const char *tail, struct segments *segments)
{
    segments->count = 0;
    for (const char *p = tail;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (segments->count < SEGMENTS_MAX) {
            segments->start[segments->count] = p;
            segments->length[segments->count] = n;
        }
        segments->count++;
        if (!slash)
            return;
        p = slash + 1;
    }
}

/* Copies segment index, NUL-terminated, if it is a user or password this server can name in
 * a note: 1 to PART_MAX_BYTES bytes of printable UTF-8. */
static bool take_segment(const struct segments *segments, size_t index,
                         char out[PART_MAX_BYTES + 1])
{
    if (index >= segments->count || index >= SEGMENTS_MAX)
        return false;
    size_t n = segments->length[index];
    if (n == 0 || n > PART_MAX_BYTES || !utf8_printable(segments->start[index], n))
        return false;
    memcpy(out, segments->start[index], n);
    out[n] = '\0';
    return true;
}

static void reply_bad_part(struct reply *reply, struct request *request, const char *part)
{
    reply_bad_parameter(reply, request, part,
                        "1 to 128 bytes of UTF-8 text without '/' or control characters",
                        "1 到 128 字节、不含 '/' 和控制字符的 UTF-8 文本");
}

/* {user}/{pass} from segments first and first + 1, the password being the last segment
 * when last is true. False with a 400 naming the part in reply. */
static bool take_user_and_password(struct request *request, struct reply *reply,
                                   const struct segments *segments, size_t first, bool last,
                                   char user[PART_MAX_BYTES + 1], char password[PART_MAX_BYTES + 1])
{
    if (!take_segment(segments, first, user)) {
        reply_bad_part(reply, request, "{user}");
        return false;
    }
    /* More segments than expected means the password held a '/'. */
    if ((last && segments->count != first + 2) || !take_segment(segments, first + 1, password)) {
        reply_bad_part(reply, request, "{pass}");
        return false;
    }
    return true;
}

/* --- credentials in a header ----------------------------------------------------------- */

enum basic_outcome {
    BASIC_MISSING,      /* no header at all */
    BASIC_OTHER_SCHEME, /* a header, but not Basic */
    BASIC_MALFORMED,    /* Basic, but not base64 of user:password */
    BASIC_WRONG_USER,
    BASIC_WRONG_PASSWORD,
    BASIC_ACCEPTED,
};

struct basic_check {
    enum basic_outcome outcome;
    /* The user sent, as the note may show it: NULL when none was sent or it is not printable. */
    const char *sent_user;
};

/* value is the header's, NULL when absent; apart from check_basic, fuzz/fuzz_auth.c's
 * reference checks the same decisions through src/lib/credentials.h. */
static void check_basic_value(struct request *request, const char *value, const char *user,
                              const char *password, struct basic_check *check)
{
    *check = (struct basic_check){.outcome = BASIC_MISSING};
    if (!value)
        return;
    size_t length;
    const char *encoded = credentials_of_scheme(value, "Basic", &length);
    if (!encoded) {
        check->outcome = BASIC_OTHER_SCHEME;
        return;
    }
    check->outcome = BASIC_MALFORMED;
    char decoded[CREDENTIALS_BASIC_MAX_DECODED];
    size_t decoded_length, user_length;
    if (!credentials_basic_decode(encoded, length, decoded, &decoded_length, &user_length))
        return;
    const char *sent_password = decoded + user_length + 1;
    size_t password_length = decoded_length - user_length - 1;
    /* Both compared whatever the first gives, so timing does not tell which one failed. */
    bool user_matches = credentials_equal(decoded, user_length, user, strlen(user));
    bool password_matches =
        credentials_equal(sent_password, password_length, password, strlen(password));
    if (user_length <= PART_MAX_BYTES && utf8_printable(decoded, user_length))
        check->sent_user = request_printf(request, "%.*s", (int)user_length, decoded);
    check->outcome = !user_matches       ? BASIC_WRONG_USER
                     : !password_matches ? BASIC_WRONG_PASSWORD
                                         : BASIC_ACCEPTED;
}

static void check_basic(struct request *request, const char *header_name, const char *user,
                        const char *password, struct basic_check *check)
{
    check_basic_value(request, request_header(request, header_name), user, password, check);
}

/* The sentence saying why a Basic check failed or that it passed, in both languages. */
static void basic_note(struct request *request, const char *header_name, const char *user,
                       const struct basic_check *check, const char **en, const char **zh)
{
    const char *sent_en = check->sent_user ? check->sent_user : "(not printable text)";
    const char *sent_zh = check->sent_user ? check->sent_user : "（无法显示的文本）";
    switch (check->outcome) {
    case BASIC_MISSING:
        *en = request_printf(request,
                             "No credentials were sent: the request has no %s header. Send the "
                             "user and password of this URL with the Basic scheme.",
                             header_name);
        *zh = request_printf(request,
                             "未发送凭据：请求中没有 %s 头。请用 Basic 方案发送本网址中的"
                             "用户名和密码。",
                             header_name);
        return;
    case BASIC_OTHER_SCHEME:
        *en = request_printf(request,
                             "Credentials were sent with another scheme than Basic in %s; this "
                             "URL accepts only Basic.",
                             header_name);
        *zh = request_printf(request, "%s 头中的凭据使用的不是 Basic 方案；本网址只接受 Basic。",
                             header_name);
        return;
    case BASIC_MALFORMED:
        *en = request_printf(request,
                             "Wrong credentials: the Basic credentials in %s are not the base64 "
                             "encoding of user:password.",
                             header_name);
        *zh = request_printf(request,
                             "凭据错误：%s 头中的 Basic 凭据不是“用户名:密码”的 base64 编码。",
                             header_name);
        return;
    case BASIC_WRONG_USER:
        *en = request_printf(
            request, "Wrong credentials: user '%s' is not the user this URL expects ('%s').",
            sent_en, user);
        *zh = request_printf(request, "凭据错误：用户 '%s' 不是本网址要求的用户（'%s'）。", sent_zh,
                             user);
        return;
    case BASIC_WRONG_PASSWORD:
        *en = request_printf(request,
                             "Wrong credentials: the password sent for user '%s' is not the one "
                             "this URL expects.",
                             sent_en);
        *zh = request_printf(request, "凭据错误：为用户 '%s' 发送的密码与本网址要求的不一致。",
                             sent_zh);
        return;
    case BASIC_ACCEPTED:
    default:
        *en = request_printf(request, "Authenticated: user '%s', with the Basic scheme.", user);
        *zh = request_printf(request, "认证成功：用户 '%s'，使用 Basic 方案。", user);
        return;
    }
}

enum basic_kind { BASIC_PLAIN, BASIC_HIDDEN, BASIC_PROXY };

/* /basic-auth, /hidden-basic-auth and /proxy-auth differ only in the header they read and
 * the status they refuse with; the refusal's challenge comes from the catalogue. */
static void answer_basic(struct request *request, struct reply *reply, enum basic_kind kind)
{
    struct segments segments;
    char user[PART_MAX_BYTES + 1], password[PART_MAX_BYTES + 1];
    split_path(request->tail, &segments);
    if (!take_user_and_password(request, reply, &segments, 0, true, user, password))
        return;
    const char *header_name = kind == BASIC_PROXY ? "Proxy-Authorization" : "Authorization";
    struct basic_check check;
    check_basic(request, header_name, user, password, &check);
    const char *en, *zh;
    basic_note(request, header_name, user, &check, &en, &zh);
    if (check.outcome == BASIC_ACCEPTED) {
        accept_credentials(request, reply, "user", user, strlen(user), en, zh);
        return;
    }
    if (kind == BASIC_HIDDEN) {
        /* No challenge: a 404 is what a client sees of a resource that does not exist. */
        reply_error(reply, request, 404,
                    request_printf(request,
                                   "This URL hides itself: without the right Basic "
                                   "credentials it answers 404, as if nothing were here, "
                                   "and sends no challenge. %s",
                                   en ? en : ""),
                    request_printf(request,
                                   "本网址会隐藏自己：没有正确的 Basic 凭据时答复 404，"
                                   "就像这里什么都没有一样，也不发送质询。%s",
                                   zh ? zh : ""));
        return;
    }
    reply_error(reply, request, kind == BASIC_PROXY ? 407 : 401, en, zh);
}

void auth_basic(struct request *request, struct reply *reply)
{
    answer_basic(request, reply, BASIC_PLAIN);
}

void auth_hidden_basic(struct request *request, struct reply *reply)
{
    answer_basic(request, reply, BASIC_HIDDEN);
}

void auth_proxy(struct request *request, struct reply *reply)
{
    answer_basic(request, reply, BASIC_PROXY);
}

/* --- Digest ---------------------------------------------------------------------------- */

/* The optional last segment. MD5 when absent, as httpbin does, although libmicrohttpd's own
 * default is SHA-256: clients written against httpbin expect MD5. */
static bool digest_algorithm(const struct segments *segments,
                             enum digest_algorithm *algorithm, const char **name)
{
    if (segments->count == 3) {
        *algorithm = DIGEST_MD5;
        *name = "MD5";
        return true;
    }
    if (segments->count != 4)
        return false;
    if (segments->length[3] == 3 && strncasecmp(segments->start[3], "MD5", 3) == 0) {
        *algorithm = DIGEST_MD5;
        *name = "MD5";
        return true;
    }
    if (segments->length[3] == 7 && strncasecmp(segments->start[3], "SHA-256", 7) == 0) {
        *algorithm = DIGEST_SHA256;
        *name = "SHA-256";
        return true;
    }
    return false;
}

/* {qop}/{user}/{pass}[/{algorithm}]; false with a 400 in reply. */
static bool digest_parameters(struct request *request, struct reply *reply,
                              char user[PART_MAX_BYTES + 1], char password[PART_MAX_BYTES + 1],
                              enum digest_algorithm *algorithm, const char **name)
{
    struct segments segments;
    split_path(request->tail, &segments);
    bool auth = segments.length[0] == 4 && strncmp(segments.start[0], "auth", 4) == 0;
    bool auth_int = segments.length[0] == 8 && strncmp(segments.start[0], "auth-int", 8) == 0;
    if (auth_int) {
        reply_error(reply, request, 400,
                    "The path segment {qop} is not valid: it accepts only auth. auth-int (which also "
                    "hashes the body) is not offered, because libmicrohttpd, which checks digest "
                    "credentials here, implements only qop=auth.",
                    "路径段 {qop} 无效：只接受 auth。这里不提供 auth-int（它还要对消息体做哈希），"
                    "因为在此校验摘要凭据的 libmicrohttpd 只实现了 qop=auth。");
        return false;
    }
    if (!auth) {
        reply_bad_parameter(reply, request, "{qop}", "auth (the only qop libmicrohttpd implements)",
                            "auth（libmicrohttpd 只实现了这一种 qop）");
        return false;
    }
    if (!take_user_and_password(request, reply, &segments, 1, false, user, password))
        return false;
    if (!digest_algorithm(&segments, algorithm, name)) {
        reply_bad_parameter(reply, request, "{algorithm}",
                            "MD5 or SHA-256, the ones libmicrohttpd implements (MD5 when "
                            "absent)",
                            "MD5 或 SHA-256，即 libmicrohttpd 实现的算法（省略时为 MD5）");
        return false;
    }
    return true;
}

/* A 401 whose challenge libmicrohttpd writes (server.c queues it through
 * auth_queue_digest_challenge). The body still lists the challenge, with the nonce left out
 * as only libmicrohttpd knows it; headers_described_only keeps that description off the wire,
 * where the real challenge goes instead. */
static void digest_refuse(struct reply *reply, struct request *request,
                          enum digest_algorithm algorithm, const char *name, bool stale,
                          const char *en, const char *zh)
{
    reply_error(reply, request, 401, en, zh);
    const char *described = request_printf(
        request, "Digest realm=\"%s\",qop=\"auth\",nonce=\"...\",opaque=\"%s\",algorithm=%s%s",
        REALM, DIGEST_OPAQUE, name, stale ? ",stale=\"true\"" : "");
    if (described)
        reply_set_header(reply, "WWW-Authenticate", described);
    else
        reply_remove_header(reply, "WWW-Authenticate");
    reply->headers_described_only = true;
    reply->digest_fail = true;
    reply->digest_challenge.realm = REALM;
    reply->digest_challenge.opaque = DIGEST_OPAQUE;
    reply->digest_challenge.algorithm = algorithm;
    reply->digest_challenge.stale = stale;
}

/* Checks the Digest credentials once the sent user name is known. */
static void digest_check(struct request *request, struct reply *reply, const char *sent_user,
                         const char *user, const char *password,
                         enum digest_algorithm algorithm, const char *name)
{
    enum digest_result checked = request->transport->digest_check(
        request, REALM, user, password, DIGEST_NONCE_TIMEOUT_S, algorithm);
    if (checked == DIGEST_ACCEPTED) {
        accept_credentials(request, reply, "user", user, strlen(user),
                    request_printf(request,
                                   "Authenticated: user '%s', with the Digest scheme (%s, "
                                   "qop=auth).",
                                   user, name),
                    request_printf(request,
                                   "认证成功：用户 '%s'，使用 Digest 方案（%s，qop=auth）。", user,
                                   name));
        return;
    }
    if (checked == DIGEST_STALE_NONCE) {
        digest_refuse(reply, request, algorithm, name, true,
                      "The nonce in the credentials is stale (older than 300 seconds, or not one "
                      "this server issued for this URL and algorithm). The challenge says "
                      "stale=true: retry with the new nonce; the password was not judged.",
                      "凭据中的 nonce 已失效（超过 300 秒，或不是本服务器为此网址和算法签发的）。"
                      "质询中带有 stale=true：请用新的 nonce 重试；密码本身未被判定。");
        return;
    }
    bool printable =
        strlen(sent_user) <= PART_MAX_BYTES && utf8_printable(sent_user, strlen(sent_user));
    const char *shown = printable ? sent_user : "(not printable text)";
    if (strcmp(sent_user, user) != 0)
        digest_refuse(reply, request, algorithm, name, false,
                      request_printf(request,
                                     "Wrong credentials: user '%s' is not the user this "
                                     "URL expects ('%s').",
                                     shown, user),
                      request_printf(request, "凭据错误：用户 '%s' 不是本网址要求的用户（'%s'）。",
                                     printable ? sent_user : "（无法显示的文本）", user));
    else
        digest_refuse(reply, request, algorithm, name, false,
                      request_printf(request,
                                     "Wrong credentials: the %s digest sent for user '%s' "
                                     "does not match this URL's password.",
                                     name, user),
                      request_printf(request,
                                     "凭据错误：为用户 '%s' 发送的 %s 摘要与本网址的密码不符。",
                                     user, name));
}

void auth_digest(struct request *request, struct reply *reply)
{
    char user[PART_MAX_BYTES + 1], password[PART_MAX_BYTES + 1];
    enum digest_algorithm algorithm;
    const char *name;
    if (!digest_parameters(request, reply, user, password, &algorithm, &name))
        return;
    char *sent_user = request->transport->digest_username(request);
    if (!sent_user) {
        bool sent = request_header(request, "Authorization") != NULL;
        digest_refuse(
            reply, request, algorithm, name, false,
            sent ? "The Authorization header holds no Digest credentials this server "
                   "can read; answer the Digest challenge."
                 : "No credentials were sent: the request has no Authorization "
                   "header. Answer the Digest challenge with the user and password "
                   "of this URL.",
            sent ? "Authorization 头中没有本服务器能读懂的 Digest 凭据；请按 Digest 质询作答。"
                 : "未发送凭据：请求中没有 Authorization 头。请用本网址中的用户名和密码"
                   "回应 Digest 质询。");
        return;
    }
    digest_check(request, reply, sent_user, user, password, algorithm, name);
    free(sent_user);
}

/* --- Bearer ---------------------------------------------------------------------------- */

/* RFC 6750 §3: no error code when no token was offered, error="invalid_token" when one was
 * refused. */
static void bearer_refuse(struct reply *reply, struct request *request, bool offered,
                          const char *en, const char *zh)
{
    reply_error(reply, request, 401, en, zh);
    reply_set_header(reply, "WWW-Authenticate",
                     offered ? "Bearer realm=\"" REALM "\", error=\"invalid_token\""
                             : "Bearer realm=\"" REALM "\"");
}

void auth_bearer(struct request *request, struct reply *reply)
{
    const char *expected = request_query(request, "token");
    if (expected && !credentials_is_b64token(expected, strlen(expected))) {
        reply_bad_parameter(reply, request, "token",
                            "an RFC 6750 b64token: letters, digits and -._~+/, then optional '='",
                            "RFC 6750 的 b64token：字母、数字和 -._~+/，末尾可有 '='");
        return;
    }
    const char *value = request_header(request, "Authorization");
    size_t length = 0;
    const char *token = value ? credentials_of_scheme(value, "Bearer", &length) : NULL;
    if (!value) {
        bearer_refuse(
            reply, request, false,
            "No credentials were sent: the request has no Authorization header. Send "
            "'Authorization: Bearer <token>'.",
            "未发送凭据：请求中没有 Authorization 头。请发送 'Authorization: Bearer <令牌>'。");
        return;
    }
    if (!token) {
        bearer_refuse(reply, request, false,
                      "Credentials were sent with another scheme than Bearer; this URL accepts "
                      "only 'Authorization: Bearer <token>'.",
                      "凭据使用的不是 Bearer 方案；本网址只接受 'Authorization: Bearer <令牌>'。");
        return;
    }
    if (!credentials_is_b64token(token, length)) {
        bearer_refuse(
            reply, request, true,
            "Wrong credentials: the bearer token is empty or not an RFC 6750 b64token "
            "(letters, digits and -._~+/, then optional '=').",
            "凭据错误：bearer 令牌为空，或不是 RFC 6750 的 b64token（字母、数字和 -._~+/，"
            "末尾可有 '='）。");
        return;
    }
    if (expected && !credentials_equal(token, length, expected, strlen(expected))) {
        bearer_refuse(reply, request, true,
                      "Wrong credentials: the bearer token is not the one ?token= asks for.",
                      "凭据错误：bearer 令牌与 ?token= 指定的不一致。");
        return;
    }
    int shown = length > TOKEN_ECHO_MAX ? TOKEN_ECHO_MAX : (int)length;
    const char *more = length > TOKEN_ECHO_MAX ? "..." : "";
    accept_credentials(request, reply, "token", token, length,
                request_printf(request, "Authenticated with bearer token '%.*s%s'%s.", shown, token,
                               more,
                               expected ? ", the one ?token= asks for" : " (any token passes)"),
                request_printf(request, "认证成功，bearer 令牌为 '%.*s%s'%s。", shown, token, more,
                               expected ? "，与 ?token= 指定的一致" : "（任何令牌都可通过）"));
}

/* --- 403 ------------------------------------------------------------------------------- */

void auth_forbidden(struct request *request, struct reply *reply)
{
    reply_error(
        reply, request, 403,
        "403 and not 401: here the server knows who you are, or who you are does not "
        "matter, and no credentials would change the answer. 401 means "
        "\"authenticate and try again\" and must carry a WWW-Authenticate challenge "
        "saying how; sent where credentials cannot help, it makes clients ask for "
        "passwords in vain.",
        "这里是 403 而不是 401：服务器知道你是谁，或者你是谁无关紧要，任何凭据都不会改变结果。"
        "401 的意思是“请认证后重试”，并且必须带上说明如何认证的 WWW-Authenticate 质询；"
        "在凭据无济于事的地方发送 401，只会让客户端徒劳地索要密码。");
    reply->link = "/codes/401";
}
