/**
 * The pages and their paths. The wall is `/` (`?space=…&token=…`); pages are loaded on demand so the wall's bundle
 * carries only the wall.
 */
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import WallPage from './pages/WallPage.vue';

/** Every route of the application. */
export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'wall', component: WallPage },
];

/** The router (HTML5 history: the server answers every page path with index.html). */
export function createAppRouter() {
  return createRouter({ history: createWebHistory(), routes });
}
