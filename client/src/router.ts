/**
 * The pages and their paths. The wall is `/` (`?space=…&token=…`); pages are loaded on demand so the wall's bundle
 * carries only the wall.
 */
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import WallPage from './pages/WallPage.vue';

/** Every route of the application. */
export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'wall', component: WallPage },
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue') },
  { path: '/cases', name: 'cases', component: () => import('./pages/CasesPage.vue') },
  { path: '/cases/:id', name: 'case', component: () => import('./pages/CaseDetailPage.vue') },
  { path: '/units', name: 'units', component: () => import('./pages/UnitsPage.vue') },
  { path: '/reports/monthly', name: 'monthly-report', component: () => import('./pages/MonthlyReportPage.vue') },
  { path: '/drills', name: 'drills', component: () => import('./pages/DrillListPage.vue') },
  { path: '/drills/:id', name: 'drill', component: () => import('./pages/DrillSummaryPage.vue') },
  { path: '/duty', name: 'duty', component: () => import('./pages/DutyDeskPage.vue') },
  { path: '/duty/handover/:id', name: 'duty-handover', component: () => import('./pages/DutyHandoverPage.vue') },
  { path: '/admin/walls', name: 'walls', component: () => import('./pages/WallsAdminPage.vue') },
];

/** The router (HTML5 history: the server answers every page path with index.html). */
export function createAppRouter() {
  return createRouter({ history: createWebHistory(), routes });
}
