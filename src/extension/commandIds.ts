// Every command id in one place: huskies.<verb><Noun>. package.json contributes the same ids.
export const CommandIds = {
  initProject: 'huskies.initProject',
  newStory: 'huskies.newStory',
  openBoard: 'huskies.openBoard',
  startAgent: 'huskies.startAgent',
  stopAgent: 'huskies.stopAgent',
  showAgentOutput: 'huskies.showAgentOutput',
  showLog: 'huskies.showLog',
  sendFollowUp: 'huskies.sendFollowUp',
  answerQuestion: 'huskies.answerQuestion',
  acknowledgeAgent: 'huskies.acknowledgeAgent',
  checkAgents: 'huskies.checkAgents',
  approveStory: 'huskies.approveStory',
  rejectStory: 'huskies.rejectStory',
  unblockStory: 'huskies.unblockStory',
  demoteStory: 'huskies.demoteStory',
  abandonStory: 'huskies.abandonStory',
} as const;
