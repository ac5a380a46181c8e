// What a click on a card's button (data-action) asks the host: one typed message per action.
import { CARD_ACTIONS, type CardAction, type WebviewMessage } from '../src/protocol/messages';
import { optionIndex } from './cardText';

const isCardAction = (a: string): a is CardAction => (CARD_ACTIONS as readonly string[]).includes(a);

/** The message for a card action, or undefined when the action is not a card's. */
export function cardMessage(action: string | undefined, storyId: number): WebviewMessage | undefined {
  switch (action) {
    case 'start':
      return { type: 'startAgent', storyId };
    case 'stop':
      return { type: 'stopAgent', storyId };
    case 'output':
      return { type: 'openOutput', storyId };
    case 'open':
      return { type: 'openStory', storyId };
    case 'followup':
      return { type: 'followUp', storyId };
    case 'answer':
    case 'approve':
    case 'reject':
    case 'unblock':
      return { type: action, storyId };
    default: {
      // One of the question's suggested answers: its index only, the host knows the text.
      const index = optionIndex(action);
      if (index !== undefined) return { type: 'answerOption', storyId, index };
      return action && isCardAction(action) ? { type: 'cardAction', storyId, action } : undefined;
    }
  }
}
