// Browser entry point: build the app model, render, start.
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AppModel } from './app/app-model.ts';
import { App } from './ui/app-view.ts';
import { h } from './ui/h.ts';

const model = new AppModel();
createRoot(document.getElementById('root')!).render(h(StrictMode, null, h(App, { model })));
void model.start();
