export { trainLogistic } from './logistic-trainer.js';
export { trainRidge } from './ridge-trainer.js';
export { trainGbt } from './gbt-trainer.js';
export { runCommandTrainer } from './command-trainer.js';
export { classesOf, type LabelValue, type TrainedModel, type TrainingData } from './training-data.js';
