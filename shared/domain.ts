/**
 * The closed vocabularies of the domain: channels, case types, urgencies, flags, stages, ratings, agent states, links,
 * duty posts, clocks.
 * Each is an `as const` tuple so schemas, types and label tables come from one list.
 */

/** Where a case comes from (案件来源). */
export const CHANNELS = [
  'hotline',
  'district_line',
  'message_board',
  'city_mgmt',
  'grid_patrol',
  'sensing',
  'referral',
] as const;
/** A case channel code. */
export type Channel = (typeof CHANNELS)[number];

/** Chinese labels of the channels, for the wall. */
export const CHANNEL_LABELS: Readonly<Record<Channel, string>> = {
  hotline: '12345热线',
  district_line: '区长专线',
  message_board: '城市留言板',
  city_mgmt: '12319城管',
  grid_patrol: '网格巡查',
  sensing: '智能感知',
  referral: '上级转办',
};

/** The citizen's kind of request (诉求类型). */
export const CASE_TYPES = ['consult', 'help', 'complaint', 'report', 'suggestion', 'praise'] as const;
/** A case type code. */
export type CaseType = (typeof CASE_TYPES)[number];

/** Chinese labels of the case types. */
export const CASE_TYPE_LABELS: Readonly<Record<CaseType, string>> = {
  consult: '咨询',
  help: '求助',
  complaint: '投诉',
  report: '举报',
  suggestion: '建议',
  praise: '表扬',
};

/** Urgency of a case. */
export const URGENCIES = ['urgent', 'normal'] as const;
/** An urgency code. */
export type Urgency = (typeof URGENCIES)[number];

/** Chinese labels of the urgencies. */
export const URGENCY_LABELS: Readonly<Record<Urgency, string>> = { urgent: '紧急', normal: '一般' };

/** Flags a case may carry: 敏感, 群体 (群投), 突发/应急, 重复. */
export const CASE_FLAGS = ['sensitive', 'mass', 'emergency', 'repeat'] as const;
/** A case flag. */
export type CaseFlag = (typeof CASE_FLAGS)[number];

/** Chinese labels of the case flags. */
export const FLAG_LABELS: Readonly<Record<CaseFlag, string>> = {
  sensitive: '敏感',
  mass: '群体',
  emergency: '突发',
  repeat: '重复',
};

/**
 * Lifecycle stages of a case, in order: 受理 → 立案 → 派单 → 签收 → 办理 → 办结回复 → 质检 → 回访 → 评价 → 结案 (直接办结
 * goes from 受理 straight to 结案). `merged` is terminal for a duplicate joined to a master case.
 */
export const STAGES = [
  'received',
  'registered',
  'dispatched',
  'signed',
  'processing',
  'replied',
  'checked',
  'called_back',
  'evaluated',
  'closed',
  'merged',
] as const;
/** A lifecycle stage. */
export type Stage = (typeof STAGES)[number];

/** Chinese labels of the stages. */
export const STAGE_LABELS: Readonly<Record<Stage, string>> = {
  received: '受理',
  registered: '立案',
  dispatched: '派单',
  signed: '签收',
  processing: '办理',
  replied: '办结回复',
  checked: '质检通过',
  called_back: '回访',
  evaluated: '评价',
  closed: '结案',
  merged: '已合并',
};

/** Citizen's evaluation at callback. */
export const RATINGS = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
/** A citizen rating. */
export type Rating = (typeof RATINGS)[number];

/** Chinese labels of the citizen ratings. */
export const RATING_LABELS: Readonly<Record<Rating, string>> = {
  satisfied: '满意',
  basically_satisfied: '基本满意',
  unsatisfied: '不满意',
};

/** States an agent can be in. `logged_in` means present but not yet ready. */
export const AGENT_STATES = ['logged_in', 'ready', 'on_call', 'after_call', 'break', 'logged_out'] as const;
/** An agent state. */
export type AgentState = (typeof AGENT_STATES)[number];

/** Upstream platform links that report heartbeats. */
export const LINKS = ['city_platform', 'city_mgmt_12319', 'message_board', 'call_trunk', 'district_line'] as const;
/** A link code. */
export type LinkId = (typeof LINKS)[number];

/** Chinese labels of the links. */
export const LINK_LABELS: Readonly<Record<LinkId, string>> = {
  city_platform: '12345市级平台',
  city_mgmt_12319: '12319平台',
  message_board: '留言板平台',
  call_trunk: '话务中继',
  district_line: '区长专线',
};

/** Duty posts of the 24-hour roster. */
export const POSTS = ['duty_leader', 'duty_officer', 'district_line_watch', 'agent_lead'] as const;
/** A duty post code. */
export type Post = (typeof POSTS)[number];

/** Chinese labels of the duty posts. */
export const POST_LABELS: Readonly<Record<Post, string>> = {
  duty_leader: '值班领导',
  duty_officer: '值班员',
  district_line_watch: '区长专线值守',
  agent_lead: '话务班长',
};

/** Which deadline clock a figure or filter speaks of. */
export const CLOCKS = ['sign', 'handle', 'callback'] as const;
/** A clock code: sign-for, handling, callback. */
export type ClockId = (typeof CLOCKS)[number];

/** Chinese labels of the clocks. */
export const CLOCK_LABELS: Readonly<Record<ClockId, string>> = { sign: '签收', handle: '办理', callback: '回访' };

/** Exhaustiveness guard for `switch` over a union. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
