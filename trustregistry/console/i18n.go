package console

import (
	"net/http"
	"strings"
)

// Languages of the console.
const (
	LangEnglish = "en"
	LangChinese = "zh-Hans"
)

// langCookie stores the language a user chose with the switch.
const langCookie = "idport_console_lang"

// catalogue holds every message of the console per language. A key missing from a language
// falls back to English; a key missing from English shows as the key itself (a test keeps the
// two catalogues in step).
var catalogue = map[string]map[string]string{
	LangEnglish: {
		"app":               "idport trust registry console",
		"skip":              "Skip to content",
		"nav":               "Main",
		"overview":          "Overview",
		"jurisdiction":      "Jurisdictions",
		"scheme":            "Schemes",
		"authority":         "Authorities",
		"agreement":         "Agreements",
		"recognition":       "Recognitions",
		"graph":             "Trust graph",
		"proposals":         "Proposals",
		"audit":             "Audit",
		"signin":            "Sign in",
		"signout":           "Sign out",
		"signed_in_as":      "Signed in as",
		"token":             "Bearer token",
		"token_help":        "The token an administrator issued to your account. It is sent once; the console then keeps a session.",
		"signin_failed":     "Sign-in refused: the token is unknown, malformed or disabled.",
		"signin_cert":       "Your client certificate identifies you; press Sign in to continue.",
		"language":          "Language",
		"switch":            "Switch",
		"version":           "Registry version",
		"last_change":       "Last applied change",
		"snapshot_age":      "Snapshot age",
		"for_me":            "Pending proposals for me",
		"none":              "None.",
		"search":            "Search",
		"filter_status":     "Status",
		"any":               "any",
		"active":            "active",
		"suspended":         "suspended",
		"revoked":           "revoked",
		"id":                "Identifier",
		"name":              "Name",
		"status":            "Status",
		"details":           "Details",
		"history":           "History",
		"valid_time":        "Effective (valid time)",
		"recorded_time":     "Recorded (transaction time)",
		"backdated":         "back-dated",
		"revision":          "Revision at version",
		"as_known_at":       "As known at",
		"as_known_help":     "A registry version number or a date (2026-01-31 or 2026-01-31T12:00:00Z).",
		"show":              "Show",
		"latest":            "latest",
		"showing_as_of":     "Showing the registry as known at version",
		"shown_of":          "shown of",
		"new_suspension":    "Suspend or reinstate an authority",
		"new_authority":     "New authority",
		"new_mapping":       "Assurance and claim mapping",
		"propose":           "Propose",
		"reason":            "Reason",
		"effective_at":      "Effective at (UTC, blank for now)",
		"scheme_one":        "Scheme",
		"legal_name":        "Legal name",
		"dids":              "DIDs (one per line)",
		"keys":              "Public keys as JWK (one JSON object per line)",
		"types":             "Credential types (comma separated)",
		"assurance":         "Assurance level",
		"claim_mapping":     "Claim mapping (foreign=local, one per line)",
		"assurance_mapping": "Assurance mapping (foreign=local, one per line)",
		"recognition_one":   "Recognition",
		"optional":          "optional",
		"proposal":          "Proposal",
		"proposer":          "Proposer",
		"created":           "Created",
		"expires":           "Expires",
		"quorum":            "Quorum",
		"approvals":         "Approvals",
		"diff":              "Changes",
		"field":             "Field",
		"before":            "Before",
		"after":             "After",
		"new_object":        "new",
		"stale":             "Stale: an object it changes was changed since it was proposed; propose again",
		"approve":           "Approve",
		"reject":            "Reject",
		"withdraw":          "Withdraw",
		"comment":           "Comment",
		"decided":           "Decided",
		"pending":           "pending",
		"applied":           "applied",
		"rejected":          "rejected",
		"expired":           "expired",
		"chain":             "Audit chain",
		"verified":          "verified",
		"broken":            "BROKEN",
		"records":           "records",
		"actor":             "Actor",
		"time":              "Time",
		"change":            "Change",
		"export_snapshot":   "Export the signed snapshot",
		"needs_auditor":     "Reading the audit chain needs the auditor role.",
		"passkey":           "Passkey",
		"passkeys":          "Passkeys",
		"passkey_add":       "Register a passkey",
		"passkey_use":       "Sign in with your passkey",
		"passkey_needed":    "Your account needs a passkey as a second factor.",
		"passkey_enrol":     "Passkeys are required: register one to finish signing in.",
		"passkey_count":     "Registered passkeys",
		"passkeys_removed":  "passkeys of %s removed: %d",
		"passkey_failed":    "The passkey was not accepted.",
		"passkey_ok":        "Passkey registered.",
		"passkey_remove":    "Remove",
		"error":             "Error",
		"forbidden_csrf":    "The form was refused: it did not come from this console. Reload the page and try again.",
		"not_found":         "Not found.",
		"graph_note":        "Jurisdictions, their schemes and authorities; recognitions and agreements are edges. Colour shows status.",
		"graph_capped":      "Only the first authorities of each scheme are drawn; the lists hold them all.",
		"legend":            "Legend",
		"done":              "Done.",
		"account":           "Account",
		"roles":             "Roles",
		"snapshot_seq":      "Snapshot sequence",
		"agreement_one":     "Agreement",
		"local_scheme":      "Local scheme",
		"foreign_scheme":    "Foreign scheme",
		"parties":           "Parties",
		"next":              "Next page",
		"prev":              "Previous page",
		"page_of":           "Page",
		"status_action":     "New status",
		"kinds":             "Registry",
	},
	LangChinese: {
		"app":               "idport 信任注册中心控制台",
		"skip":              "跳到正文",
		"nav":               "主导航",
		"overview":          "概览",
		"jurisdiction":      "司法管辖区",
		"scheme":            "身份体系",
		"authority":         "签发机构",
		"agreement":         "协议",
		"recognition":       "互认",
		"graph":             "信任关系图",
		"proposals":         "变更提案",
		"audit":             "审计",
		"signin":            "登录",
		"signout":           "退出",
		"signed_in_as":      "当前账户",
		"token":             "访问令牌",
		"token_help":        "管理员为您的账户签发的令牌。令牌只发送一次，之后控制台使用会话。",
		"signin_failed":     "登录被拒绝：令牌未知、格式错误或已停用。",
		"signin_cert":       "您的客户端证书已识别您的身份，请点击登录继续。",
		"language":          "语言",
		"switch":            "切换",
		"version":           "注册中心版本",
		"last_change":       "最近应用的变更",
		"snapshot_age":      "快照时长",
		"for_me":            "待我处理的提案",
		"none":              "无。",
		"search":            "搜索",
		"filter_status":     "状态",
		"any":               "全部",
		"active":            "有效",
		"suspended":         "已暂停",
		"revoked":           "已撤销",
		"id":                "标识",
		"name":              "名称",
		"status":            "状态",
		"details":           "详情",
		"history":           "历史",
		"valid_time":        "生效时间（有效时间）",
		"recorded_time":     "记录时间（事务时间）",
		"backdated":         "追溯生效",
		"revision":          "版本修订",
		"as_known_at":       "按当时所知",
		"as_known_help":     "注册中心版本号或日期（2026-01-31 或 2026-01-31T12:00:00Z）。",
		"show":              "显示",
		"latest":            "最新",
		"showing_as_of":     "正在显示注册中心在以下版本时的状态",
		"shown_of":          "条，共",
		"new_suspension":    "暂停或恢复签发机构",
		"new_authority":     "新增签发机构",
		"new_mapping":       "保证等级与声明映射",
		"propose":           "提交提案",
		"reason":            "理由",
		"effective_at":      "生效时间（UTC，留空为现在）",
		"scheme_one":        "身份体系",
		"legal_name":        "法定名称",
		"dids":              "DID（每行一个）",
		"keys":              "JWK 格式公钥（每行一个 JSON 对象）",
		"types":             "凭证类型（逗号分隔）",
		"assurance":         "保证等级",
		"claim_mapping":     "声明映射（境外=本地，每行一条）",
		"assurance_mapping": "保证等级映射（境外=本地，每行一条）",
		"recognition_one":   "互认",
		"optional":          "可选",
		"proposal":          "提案",
		"proposer":          "提议人",
		"created":           "创建时间",
		"expires":           "到期时间",
		"quorum":            "法定人数",
		"approvals":         "批准",
		"diff":              "变更内容",
		"field":             "字段",
		"before":            "变更前",
		"after":             "变更后",
		"new_object":        "新建",
		"stale":             "已过时：所涉对象在提议后已被修改，请重新提议",
		"approve":           "批准",
		"reject":            "驳回",
		"withdraw":          "撤回",
		"comment":           "意见",
		"decided":           "决定时间",
		"pending":           "待处理",
		"applied":           "已应用",
		"rejected":          "已驳回",
		"expired":           "已过期",
		"chain":             "审计链",
		"verified":          "已验证",
		"broken":            "已损坏",
		"records":           "条记录",
		"actor":             "操作人",
		"time":              "时间",
		"change":            "变更",
		"export_snapshot":   "导出已签名快照",
		"needs_auditor":     "查看审计链需要审计员角色。",
		"passkey":           "通行密钥",
		"passkeys":          "通行密钥",
		"passkey_add":       "注册通行密钥",
		"passkey_use":       "使用通行密钥登录",
		"passkey_needed":    "您的账户需要通行密钥作为第二重验证。",
		"passkey_enrol":     "必须使用通行密钥：请先注册一个以完成登录。",
		"passkey_count":     "已注册的通行密钥",
		"passkeys_removed":  "%s 的通行密钥已移除：%d",
		"passkey_failed":    "通行密钥未被接受。",
		"passkey_ok":        "通行密钥已注册。",
		"passkey_remove":    "移除",
		"error":             "错误",
		"forbidden_csrf":    "表单被拒绝：它并非来自本控制台。请刷新页面后重试。",
		"not_found":         "未找到。",
		"graph_note":        "司法管辖区及其身份体系和签发机构；互认与协议以连线表示，颜色表示状态。",
		"graph_capped":      "每个身份体系只绘制前几个签发机构，完整内容请见列表。",
		"legend":            "图例",
		"done":              "已完成。",
		"account":           "账户",
		"roles":             "角色",
		"snapshot_seq":      "快照序号",
		"agreement_one":     "协议",
		"local_scheme":      "本地身份体系",
		"foreign_scheme":    "境外身份体系",
		"parties":           "缔约方",
		"next":              "下一页",
		"prev":              "上一页",
		"page_of":           "页码",
		"status_action":     "新状态",
		"kinds":             "注册内容",
	},
}

// translator returns the messages of one language.
type translator string

// T returns the message of key in the translator's language.
func (l translator) T(key string) string {
	if m, ok := catalogue[string(l)][key]; ok {
		return m
	}
	if m, ok := catalogue[LangEnglish][key]; ok {
		return m
	}
	return key
}

// pickLang chooses the language: the switch's cookie first, then Accept-Language (first
// supported tag by quality order as sent), English by default.
func pickLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := catalogue[c.Value]; ok {
			return c.Value
		}
	}
	return langFromAccept(r.Header.Get("Accept-Language"))
}

func langFromAccept(h string) string {
	best, bestQ := LangEnglish, -1.0
	for _, part := range strings.Split(h, ",") {
		tag, q := strings.TrimSpace(part), 1.0
		if i := strings.Index(tag, ";"); i >= 0 {
			if v, ok := strings.CutPrefix(strings.TrimSpace(tag[i+1:]), "q="); ok {
				q = parseQ(v)
			}
			tag = strings.TrimSpace(tag[:i])
		}
		tag = strings.ToLower(tag)
		var lang string
		switch {
		case strings.HasPrefix(tag, "zh"):
			lang = LangChinese
		case strings.HasPrefix(tag, "en"):
			lang = LangEnglish
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

func parseQ(v string) float64 {
	q, frac, seen := 0.0, 0.1, false
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9' && !seen:
			q = q*10 + float64(c-'0')
		case c == '.' && !seen:
			seen = true
		case c >= '0' && c <= '9':
			q += float64(c-'0') * frac
			frac /= 10
		default:
			return 0
		}
	}
	return q
}
