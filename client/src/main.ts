import './strictCsp';
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter } from './router';
// Fonts shipped with the product (a kiosk may have no Chinese fonts): the pages' characters, preloaded by index.html,
// and Roboto Mono's Latin for figures. The full Noto Sans SC (for citizens' text) is declared after the first render:
// its 100 unicode-range faces are 60 kB of CSS, and each slice is fetched only when a character of it is shown.
import './fonts.css';
import '@fontsource/roboto-mono/latin-400.css';
import '@fontsource/roboto-mono/latin-700.css';
import './wall.css';
import { applyTheme } from './theme';

applyTheme(document.documentElement);
createApp(App).use(createPinia()).use(createAppRouter()).mount('#app');
setTimeout(() => {
  void import('@fontsource/noto-sans-sc/400.css');
}, 0);
