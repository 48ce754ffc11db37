export { parseBattles, readBattles, type Battle, type BattleWinner, type ArenaRatings, type RatingRow } from './battles.js';
export { onlineElo, type OnlineEloOptions } from './online-elo.js';
export { bradleyTerry, type BradleyTerryOptions } from './bradley-terry.js';
