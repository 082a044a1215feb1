/**
 * The simulated district, built from the config: the outsourced agents and their shifts, the duty roster's people, the
 * channel / type / category mix of about 1,000 cases a day, streets weighted by population, which unit handles what,
 * and short realistic titles. Static data and pure functions; all randomness comes from the caller's `Rng`.
 */
import type { CityopsConfig } from '@shared/config';
import type { CaseFlag, CaseType, Channel, Post, Urgency } from '@shared/domain';
import type { Shift } from '@shared/events/ops';
import type { Rng } from './random';

/** A shift of the 24-hour roster (the night shift runs 00:30–08:30 of its own date; the evening one ends next day). */
export interface ShiftDef {
  readonly id: 'night' | 'day' | 'evening';
  readonly name: string;
  readonly start: string;
  readonly end: string;
}

/** Shifts in the order they start within a civil day. */
export const SHIFTS: readonly ShiftDef[] = [
  { id: 'night', name: '夜班', start: '00:30', end: '08:30' },
  { id: 'day', name: '白班', start: '08:30', end: '17:30' },
  { id: 'evening', name: '晚班', start: '17:30', end: '00:30' },
];

/** An outsourced hotline agent (话务员). */
export interface AgentDef {
  readonly id: string;
  readonly name: string;
  readonly shift: ShiftDef['id'];
}

/** Agents per shift: sized so each takes about 12 cases a day against the hotline's daily profile. */
export const AGENTS_PER_SHIFT: Readonly<Record<ShiftDef['id'], number>> = { day: 40, evening: 15, night: 5 };

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '高',
  '林',
  '罗',
  '郑',
  '梁',
  '谢',
  '宋',
  '唐',
  '许',
  '韩',
  '冯',
  '邓',
  '曹',
];
const GIVEN = [
  '丽',
  '婷',
  '敏',
  '静',
  '芳',
  '娟',
  '霞',
  '琳',
  '欣',
  '悦',
  '雪',
  '倩',
  '磊',
  '洁',
  '颖',
  '楠',
  '晨',
  '萍',
  '燕',
  '莉',
];
const GIVEN2 = [
  '建国',
  '志强',
  '海燕',
  '秀英',
  '文军',
  '晓明',
  '红梅',
  '卫东',
  '玉兰',
  '国平',
  '德华',
  '春华',
  '丽华',
  '明辉',
  '俊峰',
];

/** The agents `a01…a60` with distinct Chinese names, each on one shift. */
export function buildAgents(perShift: Readonly<Record<ShiftDef['id'], number>> = AGENTS_PER_SHIFT): AgentDef[] {
  const out: AgentDef[] = [];
  const order: ShiftDef['id'][] = ['day', 'evening', 'night'];
  let n = 0;
  for (const shift of order) {
    for (let i = 0; i < perShift[shift]; i++, n++) {
      const name = `${SURNAMES[n % SURNAMES.length] ?? '王'}${GIVEN[(n * 7 + Math.floor(n / SURNAMES.length)) % GIVEN.length] ?? '丽'}`;
      out.push({ id: `a${String(n + 1).padStart(2, '0')}`, name, shift });
    }
  }
  return out;
}

/** A person who can hold a duty post. */
export interface DutyPerson {
  readonly id: string;
  readonly name: string;
}

/** Pools of people per post; the roster rotates through them day by day. */
export const DUTY_POOLS: Readonly<Record<Post, readonly DutyPerson[]>> = {
  duty_leader: [0, 1, 2, 3, 4, 5, 6].map((i) => ({
    id: `dl${i + 1}`,
    name: `${SURNAMES[(i * 3 + 2) % SURNAMES.length] ?? '王'}${GIVEN2[i] ?? '建国'}`,
  })),
  duty_officer: [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({
    id: `do${i + 1}`,
    name: `${SURNAMES[(i * 5 + 4) % SURNAMES.length] ?? '李'}${GIVEN2[(i + 7) % GIVEN2.length] ?? '志强'}`,
  })),
  district_line_watch: [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({
    id: `dw${i + 1}`,
    name: `${SURNAMES[(i * 7 + 11) % SURNAMES.length] ?? '张'}${GIVEN[(i * 3 + 5) % GIVEN.length] ?? '敏'}${GIVEN[(i + 9) % GIVEN.length] ?? '静'}`,
  })),
  agent_lead: [0, 1, 2, 3, 4, 5].map((i) => ({
    id: `al${i + 1}`,
    name: `${SURNAMES[(i * 11 + 13) % SURNAMES.length] ?? '刘'}${GIVEN[(i * 5 + 2) % GIVEN.length] ?? '芳'}`,
  })),
};

const POST_ORDER: readonly Post[] = ['duty_leader', 'duty_officer', 'district_line_watch', 'agent_lead'];

/** Who holds each post of a shift on a day: a rotation by day number, so consecutive shifts have different people. */
export function dutyPosts(dayNumber: number, shiftIndex: number): { post: Post; personId: string; name: string }[] {
  return POST_ORDER.map((post) => {
    const pool = DUTY_POOLS[post];
    // Leaders hold a whole day (one leader per day on call); the other posts change every shift.
    const k = post === 'duty_leader' ? dayNumber : dayNumber * SHIFTS.length + shiftIndex;
    const p = pool[((k % pool.length) + pool.length) % pool.length] ?? pool[0];
    if (!p) throw new Error(`no people for post ${post}`);
    return { post, personId: p.id, name: p.name };
  });
}

/** The roster of a day's shifts with their posts and how many agents each has. */
export function rosterShifts(dayNumber: number, agents: readonly AgentDef[]): Shift[] {
  return SHIFTS.map((s, i) => ({
    id: s.id,
    name: s.name,
    start: s.start,
    end: s.end,
    posts: dutyPosts(dayNumber, i),
    agentsRostered: agents.filter((a) => a.shift === s.id).length,
  }));
}

/** Share of the day's cases by channel: the hotline brings about 70%. */
export const CHANNEL_SHARE: Readonly<Record<Channel, number>> = {
  hotline: 0.72,
  city_mgmt: 0.095,
  grid_patrol: 0.065,
  message_board: 0.05,
  district_line: 0.03,
  sensing: 0.025,
  referral: 0.015,
};

/** Relative arrival rate by hour of day (0–23), per channel: the hotline peaks about 10:00 and 15:00 and is quiet at night. */
export const HOURLY_PROFILE: Readonly<Record<Channel, readonly number[]>> = {
  hotline: [
    0.7, 0.45, 0.35, 0.3, 0.3, 0.45, 0.9, 1.8, 4.0, 6.6, 8.0, 6.8, 4.4, 4.6, 6.6, 7.6, 6.8, 5.2, 4.2, 4.2, 4.0, 3.4,
    2.4, 1.4,
  ],
  city_mgmt: [0, 0, 0, 0, 0, 0, 0.3, 1.5, 5, 7, 7, 6, 2, 2.5, 6, 7, 6, 4, 1, 0.3, 0, 0, 0, 0],
  grid_patrol: [0, 0, 0, 0, 0, 0, 0, 0.5, 3, 6, 7, 6, 2, 2, 5, 6, 6, 4, 1.5, 0.5, 0, 0, 0, 0],
  message_board: [1.5, 1, 0.6, 0.4, 0.3, 0.4, 0.8, 1.5, 3, 4, 4, 4, 3.5, 3.5, 4, 4, 4, 3.5, 3.5, 4, 4.5, 4.5, 3.5, 2.5],
  district_line: [
    0.6, 0.4, 0.3, 0.3, 0.3, 0.4, 0.8, 1.5, 3, 4, 4, 3.5, 2.5, 2.5, 3.5, 4, 3.5, 3, 2.5, 2.5, 2, 1.5, 1.2, 0.8,
  ],
  sensing: [1, 1, 1, 1, 1, 1, 1.5, 2.5, 3, 2.5, 2, 2, 2, 2, 2, 2, 2.5, 3, 3, 2.5, 2, 1.5, 1.2, 1],
  referral: [0, 0, 0, 0, 0, 0, 0, 0.2, 3, 6, 6, 5, 1, 1, 5, 6, 5, 3, 0.5, 0, 0, 0, 0, 0],
};

/** Case type mix per channel; overall about consult 35%, help 20%, complaint 25%, report 5%, suggestion 10%, praise 5%. */
export const TYPE_MIX: Readonly<Record<Channel, readonly (readonly [CaseType, number])[]>> = {
  hotline: [
    ['consult', 45],
    ['help', 14],
    ['complaint', 27],
    ['report', 3],
    ['suggestion', 6],
    ['praise', 5],
  ],
  city_mgmt: [
    ['help', 55],
    ['report', 30],
    ['complaint', 15],
  ],
  grid_patrol: [
    ['help', 55],
    ['report', 25],
    ['suggestion', 20],
  ],
  message_board: [
    ['consult', 30],
    ['complaint', 30],
    ['suggestion', 28],
    ['praise', 12],
  ],
  district_line: [
    ['consult', 20],
    ['help', 40],
    ['complaint', 40],
  ],
  sensing: [['help', 100]],
  referral: [
    ['complaint', 45],
    ['help', 25],
    ['suggestion', 20],
    ['report', 10],
  ],
};

/** Category weights over the default tree; categories a config adds weigh 1. */
const CATEGORY_WEIGHT: Readonly<Record<string, number>> = {
  市容环卫: 14,
  市政设施: 12,
  园林绿化: 5,
  交通出行: 8,
  噪音扰民: 9,
  物业管理: 12,
  供水供电供气: 8,
  房屋建设: 6,
  环境保护: 5,
  劳动社保: 6,
  市场监管: 7,
  治安消防: 3,
  其他: 5,
};

/** Categories each field channel reports (others draw from the whole tree). */
const CHANNEL_CATEGORIES: Partial<Record<Channel, readonly string[]>> = {
  city_mgmt: ['市容环卫', '市政设施', '园林绿化', '交通出行', '噪音扰民'],
  grid_patrol: ['市容环卫', '市政设施', '物业管理', '环境保护', '治安消防', '房屋建设'],
  sensing: ['市政设施', '治安消防', '交通出行'],
};

/** Short titles per category, as an agent would write them. */
const TITLES: Readonly<Record<string, readonly string[]>> = {
  市容环卫: [
    '小区门口垃圾未清运',
    '道路垃圾堆积无人清扫',
    '占道经营影响通行',
    '垃圾桶满溢异味大',
    '建筑垃圾乱倒',
    '公厕卫生差',
  ],
  市政设施: ['路灯不亮', '井盖缺失存在安全隐患', '道路破损坑洼', '下水道堵塞污水外溢', '人行道砖松动', '雨水篦子损坏'],
  园林绿化: ['行道树倒伏', '绿化带杂草丛生', '树枝遮挡路灯', '毁绿种菜', '树木需修剪'],
  交通出行: ['公交站台损坏', '红绿灯故障', '共享单车乱停放', '违章停车堵塞消防通道', '道路标线不清'],
  噪音扰民: ['夜间施工噪音扰民', '广场舞噪音扰民', '商铺高音喇叭扰民', '空调外机噪音大'],
  物业管理: ['电梯故障', '物业不作为', '小区停车收费不合理', '楼道堆放杂物', '小区门禁损坏'],
  供水供电供气: ['停水无通知', '水压低', '频繁停电', '燃气管道有异味', '水质发黄'],
  房屋建设: ['房屋漏水', '违章搭建', '老旧小区改造进度慢', '外墙瓷砖脱落'],
  环境保护: ['餐馆油烟扰民', '河道污染有异味', '工地扬尘大', '露天焚烧垃圾'],
  劳动社保: ['拖欠工资', '社保转移咨询', '就业补贴咨询', '灵活就业参保咨询'],
  市场监管: ['商家拒绝退款', '超市销售过期食品', '价格欺诈', '无证经营'],
  治安消防: ['消防通道堵塞', '电动车楼道充电', '群租房安全隐患', '消防设施损坏'],
  其他: ['政策咨询', '办事指南咨询', '户籍办理咨询', '公共服务建议'],
};

/** Alerts from the sensing network, by category. */
const SENSING_TITLES: Readonly<Record<string, readonly string[]>> = {
  市政设施: ['积水监测告警', '井盖位移告警', '管网压力异常告警'],
  治安消防: ['烟感告警', '大客流预警', '消防通道占用视频告警'],
  交通出行: ['路口拥堵视频告警', '车辆违停视频告警'],
};

const PRAISE_TITLES = [
  '表扬社区工作人员热心服务',
  '感谢城管队员及时处理',
  '表扬网格员认真负责',
  '感谢维修人员连夜抢修',
];
const CONSULT_TITLES = ['政策咨询', '办理流程咨询', '收费标准咨询', '办理进度咨询'];

/** Replies units write when they close a case. */
export const REPLIES = [
  '已安排人员现场处理，问题已解决。',
  '经核实，已督促责任单位整改完毕。',
  '已联系市民说明情况，市民表示理解。',
  '已纳入计划，近期实施，已告知市民。',
  '现场查看后已清理完毕。',
  '已协调相关部门处理，并电话回复市民。',
];

/** Replies for consultations answered on the call. */
export const DIRECT_REPLIES = ['已按政策解答，市民无异议。', '已告知办理流程及所需材料。', '已提供相关部门联系方式。'];

/** Street weights by resident population (relative); streets a config adds weigh 5. */
const STREET_WEIGHT: Readonly<Record<string, number>> = {
  luonan: 9,
  guanshan: 14,
  shizishan: 6,
  zhangjiawan: 8,
  liyuan: 7,
  zhuodaoquan: 10,
  hongshan: 12,
  heping: 13,
  qingling: 9,
  tianxing: 2,
};

/** The attributes of one new case. */
export interface CaseDraw {
  readonly caseType: CaseType;
  readonly urgency: Urgency;
  readonly flags: CaseFlag[];
  readonly category: string;
  readonly street: string;
  readonly unit: string;
  readonly title: string;
}

/** The district as the simulator sees it: derived once from the config. */
export class District {
  readonly agents: AgentDef[];
  private readonly streets: (readonly [string, number])[];
  private readonly categories: (readonly [string, number])[];
  private readonly byCategory = new Map<string, string[]>();
  private readonly unitIds: Set<string>;

  constructor(
    readonly config: CityopsConfig,
    perShift: Readonly<Record<ShiftDef['id'], number>> = AGENTS_PER_SHIFT,
  ) {
    this.agents = buildAgents(perShift);
    this.streets = config.streets.map((s) => [s.id, STREET_WEIGHT[s.id] ?? 5] as const);
    this.categories = config.categories.map((c) => [c, CATEGORY_WEIGHT[c] ?? 1] as const);
    this.unitIds = new Set(config.units.map((u) => u.id));
    for (const u of config.units) {
      if (u.kind === 'street') continue;
      for (const c of u.categories) this.byCategory.set(c, [...(this.byCategory.get(c) ?? []), u.id]);
    }
  }

  /** Draws a new case's attributes for a channel. */
  drawCase(rng: Rng, channel: Channel): CaseDraw {
    const caseType = rng.weighted(TYPE_MIX[channel]);
    const category = this.drawCategory(rng, channel);
    const street = rng.weighted(this.streets);
    const urgentP = channel === 'sensing' ? 0.15 : channel === 'district_line' ? 0.08 : 0.01;
    const urgency: Urgency = caseType !== 'praise' && rng.chance(urgentP) ? 'urgent' : 'normal';
    const flags: CaseFlag[] = [];
    if (rng.chance(0.005)) flags.push('sensitive');
    if (rng.chance(channel === 'referral' ? 0.03 : 0.005)) flags.push('mass');
    if (rng.chance(channel === 'sensing' ? 0.05 : 0.004)) flags.push('emergency');
    if (rng.chance(0.02)) flags.push('repeat');
    return {
      caseType,
      urgency,
      flags,
      category,
      street,
      unit: this.unitFor(rng, category, street),
      title: this.title(rng, channel, caseType, category),
    };
  }

  private drawCategory(rng: Rng, channel: Channel): string {
    const allowed = CHANNEL_CATEGORIES[channel]?.filter((c) => this.config.categories.includes(c));
    if (allowed && allowed.length > 0) return rng.weighted(allowed.map((c) => [c, CATEGORY_WEIGHT[c] ?? 1] as const));
    return rng.weighted(this.categories);
  }

  /** The handling unit: a department that owns the category (most of the time), otherwise the street office. */
  unitFor(rng: Rng, category: string, street: string): string {
    const departments = this.byCategory.get(category);
    const office = `st-${street}`;
    const hasOffice = this.unitIds.has(office);
    if (departments && departments.length > 0 && (!hasOffice || rng.chance(0.65))) return rng.pick(departments);
    if (hasOffice) return office;
    return rng.pick([...this.unitIds]);
  }

  /** Another unit than `unit` for a case that was returned (wrong unit): the street office or a department. */
  redirectUnit(rng: Rng, unit: string, category: string, street: string): string {
    const candidates = [`st-${street}`, ...(this.byCategory.get(category) ?? [])].filter(
      (u) => u !== unit && this.unitIds.has(u),
    );
    return candidates.length > 0 ? rng.pick(candidates) : unit;
  }

  private title(rng: Rng, channel: Channel, caseType: CaseType, category: string): string {
    if (channel === 'sensing') return rng.pick(SENSING_TITLES[category] ?? ['智能感知告警']);
    if (caseType === 'praise') return rng.pick(PRAISE_TITLES);
    const titles = TITLES[category] ?? [`${category}问题`];
    if (caseType === 'consult' && rng.chance(0.4)) return `${category}${rng.pick(CONSULT_TITLES)}`;
    return rng.pick(titles);
  }
}
